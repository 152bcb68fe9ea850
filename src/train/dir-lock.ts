import { linkSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { QmoeFileError, fileErrorReason } from '../errors.js';
import { isProcessAlive, temporaryPath, writeNewFile } from './atomic.js';

/** The lock file a writer holds in its output directory. */
export const LOCK_FILE = '.qmoe.lock';

/** Who holds a lock: written into the lock file as one JSON line. */
interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export interface DirLock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file (when it is still ours). */
  release(): void;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Creates `path` with `content` only if it does not exist: the content goes into a temporary
 * file first, then a hard link names it `path` (link fails when `path` exists), so a reader
 * never sees an empty lock. False when `path` exists.
 */
function createExclusive(path: string, content: string, argument: string, dir: string): boolean {
  const tmp = temporaryPath(path);
  try {
    writeNewFile(tmp, content);
  } catch (e) {
    throw new QmoeFileError(argument, dir, `cannot write into the directory (${fileErrorReason(e)})`);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new QmoeFileError(argument, dir, `cannot create the lock file ${path} (${fileErrorReason(e)})`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Holder;
    return Number.isInteger(h?.pid) ? h : undefined;
  } catch {
    return undefined;
  }
}

/** A holder on another machine cannot be checked: it counts as alive. An unreadable lock counts as dead. */
function holderAlive(h: Holder | undefined): boolean {
  if (!h) return false;
  return h.host !== hostname() || isProcessAlive(h.pid);
}

/**
 * Removes the lock file `path` whose content was `stale` (a holder that no longer runs), unless
 * someone replaced it meanwhile. A short-lived guard file makes the check and the removal one
 * step among concurrent takers: without it, a second taker that read the same stale lock could
 * remove the lock the first one has just created.
 */
function removeStale(path: string, stale: string, mine: string, argument: string, dir: string): void {
  const guard = `${path}.takeover`;
  if (!createExclusive(guard, mine, argument, dir)) {
    const text = readText(guard);
    // A guard whose taker died inside these few lines: remove it; else let the live taker finish.
    if (text !== undefined && !holderAlive(parseHolder(text))) rmSync(guard, { force: true });
    else sleepMs(20);
    return;
  }
  try {
    if (readText(path) === stale) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

/**
 * Takes the lock of directory `dir` (which must exist) for this process: DIR/.qmoe.lock holds
 * {pid, host, command, since}. A lock whose holder still runs is a QmoeFileError naming it (exit
 * 2 on the CLI); the lock of a holder that is gone (killed, crashed) is taken over.
 */
export function lockDirectory(dir: string, o: { argument: string; command?: string }): DirLock {
  const path = join(dir, LOCK_FILE);
  const holder: Holder = { pid: process.pid, host: hostname(), command: o.command ?? 'qmoe', since: new Date().toISOString() };
  const mine = JSON.stringify(holder) + '\n';
  for (let attempt = 0; attempt < 50; attempt++) {
    if (createExclusive(path, mine, o.argument, dir)) {
      return {
        path,
        release: () => {
          if (readText(path) === mine) rmSync(path, { force: true });
        },
      };
    }
    const text = readText(path);
    if (text === undefined) continue; // released meanwhile: try again
    const other = parseHolder(text);
    if (holderAlive(other)) {
      throw new QmoeFileError(
        o.argument,
        dir,
        `is being written by another qmoe (pid ${other!.pid}${other!.host !== hostname() ? ` on ${other!.host}` : ''}, ${other!.command}, since ${other!.since}); ` +
          `wait for it to finish or choose another directory (the lock file is ${path}; remove it only if that process is gone)`,
      );
    }
    removeStale(path, text, mine, o.argument, dir);
  }
  throw new QmoeFileError(o.argument, dir, `could not take the lock file ${path} (other writers keep taking it)`);
}
