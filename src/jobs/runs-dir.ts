import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { QmoeFileError, QmoeInputError, fileErrorReason } from '../errors.js';
import { loadRun, type RunRecord } from '../experiments/runner.js';
import { cleanTemporaries } from '../train/atomic.js';
import type { RunSpec } from './spec.js';

/**
 * DIR/runs: one file per finished run, runs/<id>.json, each written atomically on its own. Any
 * number of processes may write there at once (the local workers' parent, Slurm array tasks on
 * several machines): the lock of DIR guards the tables, not the runs. A temporary is removed
 * only when its writer is gone and it is 10 minutes old (its writer may run on another machine).
 */
export function runsDirectory(out: string): string {
  const dir = join(out, 'runs');
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new QmoeFileError('--out', dir, `cannot create the directory (${fileErrorReason(e)})`);
  }
  cleanTemporaries(dir, { olderThanMs: 10 * 60_000 });
  return dir;
}

/**
 * The finished run of `spec` in `runsDir`: runs/<id>.json, or the file a qmoe before stable ids
 * wrote for it (runs/<name>.json) when its configuration is the spec's; undefined when there is
 * none. A file under the spec's id with another configuration was edited or damaged: an error.
 */
export function findRun(runsDir: string, spec: RunSpec): { run: RunRecord; legacy: boolean } | undefined {
  const found = loadRun(runsDir, spec.id, spec.config);
  if (found && 'mismatch' in found) {
    throw new QmoeInputError('--out', join(runsDir, `${spec.id}.json`), 'holds a run of another configuration than its name says (edited or damaged); delete it to train that run again');
  }
  if (found) return { run: found, legacy: false };
  const old = loadRun(runsDir, spec.name, spec.config);
  if (old && !('mismatch' in old)) return { run: { ...old, id: spec.id }, legacy: true };
  return undefined;
}
