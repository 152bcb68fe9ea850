import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the CLI runs from there, as the README's commands do). */
export const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'qmoe.mjs');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/qmoe.mjs ...args` in a child process with this environment (plus `env`); killed after `timeoutMs`. */
export function runQmoe(args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 }, (_err, stdout, stderr) =>
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
    );
  });
}
