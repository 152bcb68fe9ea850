import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A run id without its hash: "quantum-seed0-0123456789abcdef" -> "quantum-seed0" (the run's name). */
export function runName(id: string): string {
  return id.replace(/-[0-9a-f]{16}$/, '');
}

/** The names of the run files in DIR/runs (without hash and .json), sorted. */
export function runNames(out: string): string[] {
  return readdirSync(join(out, 'runs'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => runName(f.slice(0, -5)))
    .sort();
}

/** The path of the one run file of `name` in DIR/runs (runs/<name>-<hash>.json). */
export function runFile(out: string, name: string): string {
  const files = readdirSync(join(out, 'runs')).filter((f) => f.endsWith('.json') && runName(f.slice(0, -5)) === name);
  if (files.length !== 1) throw new Error(`${out}/runs has ${files.length} files of run ${name}: ${files.join(', ')}`);
  return join(out, 'runs', files[0]);
}
