import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQmoe, type CliRun } from '../helpers/cli.js';
import { runFile, runNames } from '../helpers/runs.js';
import { tmpfsForTests } from '../helpers/tmpfs.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-result-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (args: string[], env: Record<string, string> = {}) => runQmoe(args, 180_000, env);
const why = (r: CliRun) => `exit ${r.code} ${r.signal ?? ''}, stderr:\n${r.stderr}`;
const small = (out: string, seed: number) => ['train', '--router', 'linear', '--samples', '100', '--epochs', '2', '--backend', 'cpu', '--seed', String(seed), '--out', out];
const TRAIN_SET = ['boundary.png', 'boundary.svg', 'experts.png', 'experts.svg', 'history.png', 'history.svg', 'metrics.json', 'model.json'];

/** metrics.json and model.json of DIR come from one run: the same seed and the same scores. */
function expectOneRun(out: string, seed: number): void {
  expect(readdirSync(out).sort()).toEqual(TRAIN_SET);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
  expect(model.training.seed).toBe(seed);
  expect(model.metrics.accuracy).toBe(metrics.accuracy);
  expect(model.metrics.seconds).toBe(metrics.seconds);
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 3000 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
  expect(existsSync(path), path).toBe(true);
}

describe('qmoe train --out DIR as a result set', () => {
  it('a write killed between renames is finished by the next qmoe; a second writer exits 2 while the first lives', async () => {
    const out = join(dir, 'run');
    const first = await qmoe(small(out, 1));
    expect(first.code, why(first)).toBe(0);
    expectOneRun(out, 1);

    // Killed after the second rename (test hook): metrics.json is new, model.json still old.
    const killed = await qmoe(small(out, 2), { QMOE_TEST_WRITE_HOOK: 'rename:2=kill' });
    expect(killed.signal, why(killed)).toBe('SIGKILL');
    expect(readdirSync(out)).toContain('.qmoe-commit.json');
    // eval on a model in that directory finishes the write first, then reads the new model.
    const ev = await qmoe(['eval', '--model', join(out, 'model.json'), '--backend', 'cpu', '--json']);
    expect(ev.code, why(ev)).toBe(0);
    expectOneRun(out, 2);
    expect(JSON.parse(ev.stdout).accuracy).toBe(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).accuracy);

    // Two writers: the first pauses holding the lock (test hook); the second is refused before training.
    const go = join(dir, 'go-train');
    const a = qmoe(small(out, 3), { QMOE_TEST_WRITE_HOOK: `locked=wait:${go}` });
    await waitFor(join(out, '.qmoe.lock'));
    const b = await qmoe(small(out, 4));
    writeFileSync(go, '');
    expect(b.code, why(b)).toBe(2);
    expect(b.stderr).toMatch(/--out ".*run": is being written by another qmoe \(pid \d+, qmoe train --router linear/);
    expect(b.stderr).not.toMatch(/epoch \d+\/\d+/);
    const ra = await a;
    expect(ra.code, why(ra)).toBe(0);
    expectOneRun(out, 3);
  });

  it('two ablations into one DIR: the second exits 2 naming the first, which finishes', async () => {
    const out = join(dir, 'ablation');
    const args = ['ablation', '--samples', '100', '--seeds', '1', '--epochs', '1', '--backend', 'cpu', '--quiet', '--out', out];
    const go = join(dir, 'go-ablation');
    const a = qmoe(args, { QMOE_TEST_WRITE_HOOK: `locked=wait:${go}` });
    await waitFor(join(out, '.qmoe.lock'));
    const b = await qmoe(args);
    writeFileSync(go, '');
    expect(b.code, why(b)).toBe(2);
    expect(b.stderr).toMatch(/is being written by another qmoe \(pid \d+, qmoe ablation/);
    const ra = await a;
    expect(ra.code, why(ra)).toBe(0);
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(runNames(out)).toEqual(['linear-seed0', 'mlp-seed0', 'quantum-seed0']);

    // A run record without its test scores: an error naming the file and the field.
    const record = runFile(out, 'linear-seed0');
    const json = JSON.parse(readFileSync(record, 'utf8'));
    delete json.test;
    writeFileSync(record, JSON.stringify(json));
    const broken = await qmoe(args);
    expect(broken.code, why(broken)).toBe(2);
    expect(broken.stderr).toMatch(/runs\/linear-seed0-[0-9a-f]{16}\.json: test\.accuracy: undefined is invalid; a run record needs a number there; delete the file/);
  });

  it('names the option or file and the limit: report into a directory, eval on another data set, progress within epochs', async () => {
    const out = join(dir, 'moons');
    const [trained, report] = await Promise.all([qmoe(small(out, 0)), qmoe(['report', 'results/moons-paper', '--out', dir])]);
    expect(trained.code, why(trained)).toBe(0);
    expect(report.code, why(report)).toBe(2);
    expect(report.stderr).toMatch(/--out ".*": is a directory; name the HTML file to write/);
    const [other, slow] = await Promise.all([
      qmoe(['eval', '--model', join(out, 'model.json'), '--dataset', 'mnist']),
      qmoe(['train', '--router', 'quantum', '--samples', '100', '--epochs', '1', '--batch', '8', '--backend', 'cpu', '--out', join(dir, 'slow')], { QMOE_PROGRESS_SECONDS: '0' }),
    ]);
    expect(other.code, why(other)).toBe(2);
    expect(other.stderr).toMatch(/--dataset: "mnist" is invalid; the model was trained on moons \(2 features\); mnist has 8: evaluate it on --dataset moons/);
    expect(other.stderr).not.toMatch(/scaler/);
    expect(slow.code, why(slow)).toBe(0);
    // 70 training rows in batches of 8: 9 batches, reported after each but the last.
    expect(slow.stderr).toMatch(/quantum\/paper epoch 1\/1 batch 1\/9, \d+\.\d\d s\/batch, about \d+s left in the epoch/);
    expect(slow.stderr.match(/batch \d\/9/g)).toHaveLength(8);
  });
});

describe('qmoe train on a read-only or a nearly full file system (root only)', () => {
  const tmpfs = tmpfsForTests(1536);

  it('fails before training, naming --out and the free space, and keeps the previous run', async ({ skip }) => {
    const mnt = tmpfs();
    if (typeof mnt === 'string') return skip(mnt);
    const out = join(mnt.path, 'run');
    const first = await qmoe(small(out, 1));
    expect(first.code, why(first)).toBe(0);
    const before = readFileSync(join(out, 'metrics.json'), 'utf8');
    // Leave about 600 KiB free: less than a run needs while the previous one is kept.
    const { bavail, bsize } = statfsSync(mnt.path);
    writeFileSync(join(mnt.path, 'filler'), new Uint8Array(Math.max(0, bavail * bsize - 600 * 1024)));
    const second = await qmoe(small(out, 2));
    expect(second.code, why(second)).toBe(2);
    expect(second.stderr).toMatch(/--out ".*run": needs about 1\.\d MiB for its files, the device has \d+\.\d KiB free/);
    expect(second.stderr).not.toMatch(/epoch \d+\/\d+/);
    expect(readFileSync(join(out, 'metrics.json'), 'utf8')).toBe(before);
    expectOneRun(out, 1);
    rmSync(join(mnt.path, 'filler'));

    mnt.readOnly();
    const ro = await Promise.all([qmoe(small(out, 3)), qmoe(small(join(mnt.path, 'new', 'run'), 3))]);
    for (const r of ro) {
      expect(r.code, why(r)).toBe(2);
      expect(r.stderr).toMatch(/--out ".*": cannot (write into|create) the directory \(read-only file system\)/);
      expect(r.stderr).not.toMatch(/epoch \d+\/\d+/);
    }
    expectOneRun(out, 1);
  });
});
