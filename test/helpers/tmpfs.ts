import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** A small tmpfs mounted for a test (a full or read-only file system on demand). */
export interface Tmpfs {
  path: string;
  readOnly(): void;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `kib` KiB on a fresh directory, or says why it cannot: mounting needs root
 * (and a container allowed to mount). Unmount it (and the directory goes) in an afterAll.
 */
export function mountTmpfs(kib: number): Tmpfs | string {
  if (process.getuid?.() !== 0) return 'not running as root: cannot mount a tmpfs';
  const path = mkdtempSync(join(tmpdir(), 'qmoe-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (e) {
    rmdirSync(path);
    return `mount -t tmpfs failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
  }
  return {
    path,
    readOnly: () => execFileSync('mount', ['-o', 'remount,ro', path], { stdio: 'pipe' }),
    unmount: () => {
      execFileSync('umount', [path], { stdio: 'pipe' });
      rmdirSync(path);
    },
  };
}

/**
 * A tmpfs for the tests of the enclosing describe: mounted in beforeAll (a run that filters them
 * out mounts nothing, as its afterAll would not run), unmounted in afterAll. The getter gives it,
 * or the reason why there is none (skip the test with it).
 */
export function tmpfsForTests(kib: number): () => Tmpfs | string {
  let fs: Tmpfs | string = 'not mounted';
  beforeAll(() => {
    fs = mountTmpfs(kib);
  });
  afterAll(() => {
    if (typeof fs !== 'string') fs.unmount();
  });
  return () => fs;
}
