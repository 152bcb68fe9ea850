import { execFile, spawn } from 'node:child_process';
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

export interface QmoeProcess {
  pid: number;
  /** What it wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when it ends. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to its whole process group (it and its worker processes, which may outlive it). */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts `node bin/qmoe.mjs ...args` in a process group of its own (detached), so that kill()
 * reaches its worker processes too: tests kill every group they started in an afterAll.
 */
export function spawnQmoe(args: string[], env: Record<string, string> = {}): QmoeProcess {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return {
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exit,
    kill: (signal = 'SIGKILL') => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    },
  };
}
