import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, statfsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { QmoeFileError, fileErrorReason } from '../errors.js';
import { cleanTemporaries, syncDirectory, temporaryPath, writeFileAtomic, writeNewFile } from './atomic.js';
import { lockDirectory } from './dir-lock.js';

/**
 * Result sets: the files one command writes into a directory (qmoe train: metrics.json,
 * model.json and the pictures), replaced together so that an interrupted write leaves the old set
 * or the new one, never a mix.
 *
 * 1. openResultDir, before any work: creates DIR, takes DIR/.qmoe.lock (a second writer gets a
 *    QmoeFileError while the first lives; a dead holder's lock is taken over), finishes a commit
 *    a killed writer left (below), removes stale temporaries, and checks the free space.
 * 2. commit: every file goes to a temporary ".NAME.PID.HEX.tmp" beside its final name (fsynced);
 *    a failure there (ENOSPC, ...) removes them and leaves the old set untouched. Then the commit
 *    record DIR/.qmoe-commit.json (the list of renames) is written atomically: from that moment
 *    the new set is decided. Then the renames, then the record is removed.
 * 3. A writer killed during the renames leaves the record; the next qmoe that opens DIR (train,
 *    the experiment commands, eval on a model in it) completes the renames first (roll forward).
 *    Until then only the files a plain reader opens can be mixed, and the record says so.
 */

/** The commit record of a result set being renamed into place. */
export const COMMIT_FILE = '.qmoe-commit.json';

interface CommitRecord {
  format: 'qmoe-commit';
  version: 1;
  pid: number;
  /** [temporary, final name] pairs, both names inside DIR. */
  renames: [string, string][];
  /** Names of the set that the new set does not have. */
  remove: string[];
}

/**
 * Test hook, for tests only: QMOE_TEST_WRITE_HOOK="POINT=kill" kills this process with SIGKILL at
 * POINT, "POINT=sleep:MS" pauses it there, "POINT=wait:FILE" pauses it until FILE exists (at most
 * a minute); POINT is locked, temporaries, committed or rename:K (after the K-th rename).
 */
function testHook(point: string): void {
  const spec = process.env.QMOE_TEST_WRITE_HOOK;
  if (!spec) return;
  const eq = spec.indexOf('=');
  if (spec.slice(0, eq) !== point) return;
  const action = spec.slice(eq + 1);
  const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  if (action === 'kill') {
    process.kill(process.pid, 'SIGKILL');
    for (;;) pause(1000);
  }
  const sleep = /^sleep:(\d+)$/.exec(action);
  if (sleep) pause(Number(sleep[1]));
  if (action.startsWith('wait:')) for (let i = 0; i < 1200 && !existsSync(action.slice(5)); i++) pause(50);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function isCommitRecord(v: unknown): v is CommitRecord {
  const r = v as CommitRecord;
  const plain = (s: unknown) => typeof s === 'string' && s !== '' && s === basename(s);
  return (
    r?.format === 'qmoe-commit' &&
    Array.isArray(r.renames) &&
    r.renames.every((p) => Array.isArray(p) && p.length === 2 && plain(p[0]) && plain(p[1])) &&
    Array.isArray(r.remove) &&
    r.remove.every(plain)
  );
}

/** The renames and removals of a commit record, then the record's removal: safe to repeat. */
function applyCommit(dir: string, record: CommitRecord, argument: string): void {
  record.renames.forEach(([tmp, name], k) => {
    const from = join(dir, tmp);
    if (existsSync(from)) {
      try {
        renameSync(from, join(dir, name));
      } catch (e) {
        throw new QmoeFileError(argument, join(dir, name), `cannot put the new file in place (${fileErrorReason(e)}); the next qmoe writing ${dir} finishes this write`);
      }
    }
    testHook(`rename:${k + 1}`);
  });
  for (const name of record.remove) rmSync(join(dir, name), { force: true });
  syncDirectory(dir);
  rmSync(join(dir, COMMIT_FILE), { force: true });
  syncDirectory(dir);
}

/** Completes the commit a killed writer left in `dir` (the caller holds the lock). True when there was one. */
function finishCommit(dir: string, argument: string): boolean {
  const path = join(dir, COMMIT_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new QmoeFileError(argument, path, `cannot read the commit record of an interrupted write (${fileErrorReason(e)})`);
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    record = undefined;
  }
  if (!isCommitRecord(record)) throw new QmoeFileError(argument, path, 'is not a qmoe commit record (qmoe writes it while it renames a result set into place); remove it');
  applyCommit(dir, record, argument);
  return true;
}

export interface ResultDir {
  /** The directory. */
  readonly path: string;
  /** True when opening it completed a write that a killed writer had left half done. */
  readonly finishedInterruptedWrite: boolean;
  /**
   * Replaces the result set with `files` (name, content; names without a directory). Names of
   * `setNames` that `files` lacks are removed with it (a picture the new set has no longer).
   * Errors name the file and leave the old set as it was.
   */
  commit(files: ReadonlyArray<readonly [string, string | Uint8Array]>, setNames?: readonly string[]): void;
  /** Releases the lock; a directory this call created and nothing was committed to is removed again. */
  release(): void;
}

export interface ResultDirOptions {
  /** The option that names the directory, for messages (`--out`). */
  argument: string;
  /** About how many bytes the set will take: checked against the free space before any work. */
  bytes: number;
  /** The command line recorded in the lock file (shown to a second writer). */
  command?: string;
}

function makeDirectory(path: string, argument: string): string | undefined {
  if (existsSync(path) && !statSync(path).isDirectory()) throw new QmoeFileError(argument, path, 'exists and is not a directory');
  try {
    return mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new QmoeFileError(argument, path, `cannot create the directory (${fileErrorReason(mkdirError(path, e))})`);
  }
}

/**
 * The error of creating the first missing directory of `path` on its own: a recursive mkdir
 * reports ENOENT on a read-only file system, where the real cause is EROFS.
 */
function mkdirError(path: string, fallback: unknown): unknown {
  let first = resolve(path);
  while (!existsSync(dirname(first)) && dirname(first) !== first) first = dirname(first);
  try {
    mkdirSync(first);
    rmdirSync(first);
    return fallback;
  } catch (e) {
    return e;
  }
}

/** Removes the empty directories from `path` up to `top` (the first one mkdir created). */
function removeCreated(path: string, top: string): void {
  for (let d = resolve(path); ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === resolve(top) || d === dirname(d)) return;
  }
}

/** Opens `path` for writing a result set (see the top of this file); release() it in a finally. */
export function openResultDir(path: string, o: ResultDirOptions): ResultDir {
  const created = makeDirectory(path, o.argument);
  const lock = lockDirectory(path, { argument: o.argument, command: o.command });
  let committed = false;
  const release = () => {
    lock.release();
    if (created !== undefined && !committed) removeCreated(path, created);
  };
  let finished: boolean;
  try {
    testHook('locked');
    finished = finishCommit(path, o.argument);
    cleanTemporaries(path);
    const fs = statfsSync(path);
    const free = fs.bavail * fs.bsize;
    if (free < o.bytes) {
      throw new QmoeFileError(o.argument, path, `needs about ${formatBytes(o.bytes)} for its files, the device has ${formatBytes(free)} free`);
    }
  } catch (e) {
    release();
    throw e;
  }
  return {
    path,
    finishedInterruptedWrite: finished,
    release,
    commit(files, setNames = []) {
      const names = files.map(([name]) => name);
      for (const name of [...names, ...setNames]) {
        if (name === '' || name !== basename(name) || name.startsWith('.')) throw new QmoeFileError(o.argument, join(path, name), 'a result file name must be a plain name inside the directory');
      }
      for (const name of names) {
        const target = join(path, name);
        if (existsSync(target) && statSync(target).isDirectory()) throw new QmoeFileError(o.argument, target, 'is a directory; the new file cannot replace it (nothing was written)');
      }
      const renames: [string, string][] = [];
      let current = '';
      try {
        for (const [name, data] of files) {
          current = join(path, name);
          const tmp = temporaryPath(current);
          writeNewFile(tmp, data);
          renames.push([basename(tmp), name]);
        }
        testHook('temporaries');
        current = join(path, COMMIT_FILE);
        const record: CommitRecord = { format: 'qmoe-commit', version: 1, pid: process.pid, renames, remove: setNames.filter((n) => !names.includes(n)) };
        writeFileAtomic(current, JSON.stringify(record) + '\n');
        committed = true;
        testHook('committed');
        applyCommit(path, record, o.argument);
      } catch (e) {
        if (e instanceof QmoeFileError) throw e;
        for (const [tmp] of renames) rmSync(join(path, tmp), { force: true });
        throw new QmoeFileError(o.argument, current, `cannot write the file (${fileErrorReason(e)}); the previous files in ${path} are unchanged`);
      }
    },
  };
}

/**
 * Completes a write that a killed writer left half done in `dir` (see the top of this file), if
 * there is one and nobody writes there now; for readers of a result set (qmoe eval). Best
 * effort: a directory it cannot lock or write is left as it is.
 */
export function finishInterruptedWrite(dir: string): boolean {
  if (!existsSync(join(dir, COMMIT_FILE))) return false;
  let lock;
  try {
    lock = lockDirectory(dir, { argument: 'directory', command: 'qmoe (finishing an interrupted write)' });
  } catch {
    return false;
  }
  try {
    return finishCommit(dir, 'directory');
  } catch {
    return false;
  } finally {
    lock.release();
  }
}
