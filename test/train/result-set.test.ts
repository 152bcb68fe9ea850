import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QmoeFileError } from '../../src/errors.js';
import { cleanTemporaries } from '../../src/train/atomic.js';
import { LOCK_FILE } from '../../src/train/dir-lock.js';
import { COMMIT_FILE, finishInterruptedWrite, openResultDir } from '../../src/train/result-set.js';
import { root } from '../helpers/cli.js';
import { tmpfsForTests } from '../helpers/tmpfs.js';
import { SET_FILES } from '../helpers/write-result-set.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-result-set-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
const fresh = () => join(dir, `d${count++}`);

/** The files of DIR and their contents. */
function contents(d: string): Record<string, string> {
  return Object.fromEntries(readdirSync(d).sort().map((n) => [n, readFileSync(join(d, n), 'utf8')]));
}

const setOf = (tag: string, names = SET_FILES) => Object.fromEntries(names.map((n) => [n, `${tag} ${n}\n`]));

function write(d: string, tag: string, names = SET_FILES): void {
  const out = openResultDir(d, { argument: '--out', bytes: 0 });
  try {
    out.commit(names.map((n) => [n, `${tag} ${n}\n`]), SET_FILES);
  } finally {
    out.release();
  }
}

/** The id of a process that has exited (its lock or temporaries are stale). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

/** Runs the writer of test/helpers/write-result-set.ts in a child process. */
function child(d: string, tag: string, hook?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; pid: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/write-result-set.ts'), d, tag], {
      cwd: root,
      env: { ...process.env, QMOE_TEST_WRITE_HOOK: hook ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (b) => (stderr += b));
    p.on('exit', (code, signal) => resolve({ code, signal, pid: p.pid!, stderr }));
  });
}

describe('result sets', () => {
  it('replaces the whole set, removes the names it no longer has, and leaves no lock, record or temporary', () => {
    const d = fresh();
    write(d, 'old');
    expect(contents(d)).toEqual(setOf('old'));
    write(d, 'new', ['a.json', 'b.json']);
    expect(contents(d)).toEqual(setOf('new', ['a.json', 'b.json']));
  });

  it('refuses a second writer while the first holds the lock, naming it; takes over a dead holder’s lock', () => {
    const d = fresh();
    mkdirSync(d);
    const first = openResultDir(d, { argument: '--out', bytes: 0, command: 'qmoe train --out X' });
    try {
      expect(() => openResultDir(d, { argument: '--out', bytes: 0 })).toThrow(QmoeFileError);
      expect(() => openResultDir(d, { argument: '--out', bytes: 0 })).toThrow(new RegExp(`--out "${d}": is being written by another qmoe \\(pid ${process.pid}, qmoe train --out X`));
    } finally {
      first.release();
    }
    // A lock whose process is gone (killed: it never released it) is taken over.
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), command: 'qmoe train', since: '2026-01-01T00:00:00Z' }) + '\n');
    write(d, 'after-takeover');
    expect(contents(d)).toEqual(setOf('after-takeover'));
    // A lock of another machine cannot be checked: it counts as held.
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: 1, host: `not-${hostname()}`, command: 'qmoe train', since: 'then' }) + '\n');
    expect(() => openResultDir(d, { argument: '--out', bytes: 0 })).toThrow(/on not-.*remove it only if that process is gone/);
    rmSync(join(d, LOCK_FILE));
  });

  it('removes the temporaries of writers that are gone, and no one else’s', () => {
    const d = fresh();
    mkdirSync(d);
    const stale = `.model.json.${deadPid()}.0123abcd.tmp`;
    const live = `.model.json.${process.ppid}.0123abcd.tmp`;
    const mine = `.model.json.${process.pid}.0123abcd.tmp`;
    for (const n of [stale, live, mine, 'keep.json', '.hidden']) writeFileSync(join(d, n), 'x');
    cleanTemporaries(d);
    expect(readdirSync(d).sort()).toEqual([live, mine, '.hidden', 'keep.json'].sort());
    // openResultDir cleans too.
    writeFileSync(join(d, stale), 'x');
    for (const n of [live, mine]) rmSync(join(d, n));
    write(d, 'set');
    expect(Object.keys(contents(d)).sort()).toEqual(['.hidden', ...SET_FILES, 'keep.json'].sort());
  });

  it('checks the free space before any work, naming what it needs and what there is', () => {
    const d = fresh();
    expect(() => openResultDir(d, { argument: '--out', bytes: 2 ** 60 })).toThrow(/--out ".*": needs about 1073741824.00 GiB for its files, the device has .* free/);
    expect(existsSync(d)).toBe(false); // a directory it created for nothing is removed again
  });

  it('refuses a file name with a directory and a name taken by a directory, writing nothing', () => {
    const d = fresh();
    write(d, 'old');
    mkdirSync(join(d, 'e.json'));
    const out = openResultDir(d, { argument: '--out', bytes: 0 });
    try {
      expect(() => out.commit([['x/y.json', '1']])).toThrow(/plain name/);
      expect(() => out.commit([['a.json', 'new'], ['e.json', '1']])).toThrow(/e.json": is a directory/);
    } finally {
      out.release();
    }
    rmSync(join(d, 'e.json'), { recursive: true });
    expect(contents(d)).toEqual(setOf('old'));
  });

  // Each kill point of a writer (test hook QMOE_TEST_WRITE_HOOK), and the set found afterwards:
  // before the commit record the old set stays; from it on the next opener finishes the new one.
  it.each([
    ['locked', 'old'],
    ['temporaries', 'old'],
    ['committed', 'new'],
    ['rename:1', 'new'],
    ['rename:3', 'new'],
    ['rename:4', 'new'],
  ])('a writer killed at %s leaves the %s set', async (point, expected) => {
    const d = fresh();
    write(d, 'old');
    const r = await child(d, 'new', `${point}=kill`);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const left = readdirSync(d);
    expect(left).toContain(LOCK_FILE); // killed holding the lock
    expect(left.includes(COMMIT_FILE)).toBe(point === 'committed' || point.startsWith('rename'));
    // The next writer, or a reader that finishes interrupted writes (qmoe eval), settles it.
    if (point.startsWith('rename')) {
      expect(finishInterruptedWrite(d)).toBe(true);
    } else {
      const out = openResultDir(d, { argument: '--out', bytes: 0 });
      expect(out.finishedInterruptedWrite).toBe(point === 'committed');
      out.release();
    }
    expect(contents(d)).toEqual(setOf(expected));
  });

  it('two writers at once: the second exits while the first holds the lock; one whole set results', async () => {
    const d = fresh();
    write(d, 'old');
    const go = join(dir, `go-${count}`);
    const first = child(d, 'first', `locked=wait:${go}`);
    for (let i = 0; i < 1500 && !existsSync(join(d, LOCK_FILE)); i++) await new Promise((r) => setTimeout(r, 20));
    const second = await child(d, 'second');
    writeFileSync(go, '');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/is being written by another qmoe \(pid \d+, write-result-set first/);
    const a = await first;
    expect(a.code, a.stderr).toBe(0);
    expect(contents(d)).toEqual(setOf('first'));
    // Without a pause both may finish or one is refused; the result is always one whole set.
    const runs = await Promise.all([child(d, 'x'), child(d, 'y'), child(d, 'z')]);
    for (const r of runs) expect(r.code === 0 || /is being written by another qmoe/.test(r.stderr), r.stderr).toBe(true);
    const c = contents(d);
    const tag = c['a.json'].split(' ')[0];
    expect(c).toEqual(setOf(tag));
  });
});

describe('result sets on a small or read-only file system (root only)', () => {
  const tmpfs = tmpfsForTests(256);

  it('ENOSPC while writing names the file, removes the temporaries and keeps the old set', ({ skip }) => {
    const mnt = tmpfs();
    if (typeof mnt === 'string') return skip(mnt);
    const d = join(mnt.path, 'full');
    write(d, 'old');
    const out = openResultDir(d, { argument: '--out', bytes: 0 });
    try {
      const big = new Uint8Array(300 * 1024);
      expect(() => out.commit([['a.json', 'new'], ['c.png', big]], SET_FILES)).toThrow(new RegExp(`--out "${d}/c.png": cannot write the file \\(no space left on the device\\); the previous files in .* are unchanged`));
    } finally {
      out.release();
    }
    expect(contents(d)).toEqual(setOf('old'));
    expect(() => openResultDir(d, { argument: '--out', bytes: 1024 * 1024 })).toThrow(/needs about 1.0 MiB for its files, the device has .* KiB free/);
    rmSync(d, { recursive: true });
  });

  it('a read-only file system fails at open, before any work, for a new and an existing directory', ({ skip }) => {
    const mnt = tmpfs();
    if (typeof mnt === 'string') return skip(mnt);
    const d = join(mnt.path, 'ro');
    write(d, 'old');
    mnt.readOnly();
    expect(() => openResultDir(join(mnt.path, 'new'), { argument: '--out', bytes: 0 })).toThrow(/cannot create the directory \(read-only file system\)/);
    expect(() => openResultDir(d, { argument: '--out', bytes: 0 })).toThrow(/cannot write into the directory \(read-only file system\)/);
    expect(contents(d)).toEqual(setOf('old'));
  });
});
