import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Whether a process with this id runs on this machine (EPERM: it runs, as another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A fresh temporary name beside `path`: ".NAME.PID.HEX.tmp" (the PID says whose it is). */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;

/** Writes `data` into a new file `path` ('wx': never over another file) and fsyncs it; on error the partial file is removed. */
export function writeNewFile(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'wx', 0o644);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing: keep the first error
      }
    }
    rmSync(path, { force: true });
    throw e;
  }
}

/** Best-effort fsync of a directory, so that renames in it are durable. */
export function syncDirectory(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is done either way.
  }
}

/**
 * Writes `data` to `path` atomically: into a temporary file in the same directory, fsync, then
 * rename over `path` (atomic on POSIX file systems), then a best-effort fsync of the directory.
 * Readers see the old file or the whole new one, never a partial file; on any error the
 * temporary file is removed and `path` is untouched.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = temporaryPath(path);
  writeNewFile(tmp, data);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDirectory(dirname(path));
}

/**
 * Removes the temporary files that interrupted writes left in `dir` (".NAME.PID.HEX.tmp" of a
 * process that no longer runs). Another live writer's temporaries are left alone. With
 * `olderThanMs`, only temporaries last changed that long ago: in a directory that processes on
 * other machines write too (DIR/runs of a Slurm array on a shared file system), a PID says
 * nothing about them, but a write takes milliseconds.
 */
export function cleanTemporaries(dir: string, o: { olderThanMs?: number } = {}): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = TEMPORARY.exec(n);
    if (!m || Number(m[1]) === process.pid || isProcessAlive(Number(m[1]))) continue;
    if (o.olderThanMs !== undefined && !olderThan(join(dir, n), o.olderThanMs)) continue;
    rmSync(join(dir, n), { force: true });
  }
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}
