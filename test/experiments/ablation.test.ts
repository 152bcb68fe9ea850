import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseVariant, runAblation, type AblationOptions } from '../../src/experiments/ablation.js';
import { pairedPermutationTest } from '../../src/stats/permutation.js';
import { DEFAULT_SPLIT } from '../../src/train/dataset.js';
import { runQmoe } from '../helpers/cli.js';
import { runFile, runName, runNames } from '../helpers/runs.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-ablation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (...args: string[]) => runQmoe(args, 120_000);

/** Checks the PNG signature and returns the IHDR width and height. */
function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  expect(Array.from(b.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** The SVG's declared size (resvg renders PNGs at that size). */
function svgSize(path: string): { width: number; height: number } {
  const svg = readFileSync(path, 'utf8');
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  expect(m, 'svg width/height').not.toBeNull();
  return { width: Math.round(Number(m![1])), height: Math.round(Number(m![2])) };
}

const small = (out: string, seeds = 1): AblationOptions => ({
  dataset: { name: 'moons', samples: 120, noise: 0.1, seed: 42, split: DEFAULT_SPLIT },
  preset: 'paper',
  seeds,
  budget: { lr: 0.05, epochs: 2, batch: 32, patience: 0, init: 'uniform' },
  backend: 'cpu',
  out,
});

describe('qmoe ablation', () => {
  it('runs end to end on the CPU engine and writes valid JSON, Markdown and images', async () => {
    const out = join(dir, 'cli');
    // QMOE_PROGRESS_SECONDS=0: progress within every epoch too (84 training rows: 3 batches of 32).
    const r = await runQmoe(['ablation', '--dataset', 'moons', '--samples', '120', '--seeds', '1', '--epochs', '2', '--backend', 'cpu', '--out', out], 120_000, { QMOE_PROGRESS_SECONDS: '0' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ablation 2\/3: B quantum seed 0 epoch 1\/2 batch 1\/3, \d+\.\d\d s\/batch, about \d+s left in the epoch \| ETA/);
    expect(r.stderr).toMatch(/ablation 1\/3: A linear seed 0 epoch 2\/2 .*ETA/);
    expect(r.stderr).toMatch(/ablation 3\/3: C mlp seed 0 done: test accuracy/);
    const json = JSON.parse(readFileSync(join(out, 'ablation.json'), 'utf8'));
    expect(json.format).toBe('qmoe-ablation');
    expect(json.models.map((m: { label: string; router: string }) => `${m.label}:${m.router}`)).toEqual(['A:linear', 'B:quantum', 'C:mlp']);
    expect(json.models.map((m: { params: { router: number } }) => m.params.router)).toEqual([12, 24, 240]);
    for (const m of json.models) {
      expect(m.accuracy.n).toBe(1);
      expect(m.accuracy.mean).toBeGreaterThanOrEqual(0);
      expect(m.efficiency.router).toBeCloseTo(m.accuracy.mean / Math.log(1 + m.params.router), 12);
      expect(m.epochsRun).toEqual([2]);
    }
    expect(json.claims.map((c: { router: string }) => c.router).sort()).toEqual(['linear', 'mlp', 'quantum']);
    const md = readFileSync(join(out, 'ablation.md'), 'utf8');
    expect(md).toContain('| A | linear router');
    expect(md).toContain('## Against the study');
    expect(r.stdout).toContain(md);
    expect(runNames(out)).toEqual(['linear-seed0', 'mlp-seed0', 'quantum-seed0']);
    expect(json.figures).toEqual(['dynamics-loss', 'dynamics-accuracy', 'boundary-linear', 'boundary-quantum', 'boundary-mlp']);
    for (const f of json.figures) {
      const png = pngSize(join(out, `${f}.png`));
      expect(png).toEqual(svgSize(join(out, `${f}.svg`)));
      expect(png.width).toBeGreaterThan(300);
      expect(md).toContain(`![${f}](${f}.png)`);
    }
  });

  it('two local worker processes write the same files as this process, figures included, byte for byte', async () => {
    const one = join(dir, 'one-process');
    const two = join(dir, 'two-workers');
    await runAblation(small(one, 2));
    // The boundary figures are drawn here as the worker processes send their runs back (and after
    // other figures than in one process): the same bytes all the same.
    await runAblation({ ...small(two, 2), execution: { kind: 'workers', workers: 2 } });
    const files = readdirSync(one).filter((f) => f !== 'runs' && !f.startsWith('.')).sort();
    expect(files.filter((f) => /\.(svg|png)$/.test(f))).toHaveLength(10);
    expect(readdirSync(two).filter((f) => f !== 'runs' && !f.startsWith('.')).sort()).toEqual(files);
    for (const f of files) {
      if (f === 'ablation.json' || f === 'ablation.md') continue; // they name the run's engine threads and seconds
      expect(readFileSync(join(two, f)).equals(readFileSync(join(one, f))), f).toBe(true);
    }
  });

  it('resumes: only missing runs are trained again and the table comes out the same', async () => {
    const out = join(dir, 'resume');
    const trained: string[] = [];
    const first = await runAblation({ ...small(out, 2), onTrain: (id) => trained.push(runName(id)) });
    expect(trained).toEqual(['linear-seed0', 'quantum-seed0', 'mlp-seed0', 'linear-seed1', 'quantum-seed1', 'mlp-seed1']);
    const md = readFileSync(join(out, 'ablation.md'), 'utf8');
    const runs = join(out, 'runs');
    const mtimes = Object.fromEntries(readdirSync(runs).map((f) => [f, statSync(join(runs, f)).mtimeMs]));
    // An interruption after the runs but before the final files, and one run lost.
    for (const f of readdirSync(out)) if (f !== 'runs') rmSync(join(out, f));
    const lost = runFile(out, 'quantum-seed1');
    rmSync(lost);
    trained.length = 0;
    const second = await runAblation({ ...small(out, 2), onTrain: (id) => trained.push(runName(id)) });
    expect(trained).toEqual(['quantum-seed1']);
    expect(readFileSync(join(out, 'ablation.md'), 'utf8')).toBe(md);
    expect(second.models.map((m) => m.accuracy)).toEqual(first.models.map((m) => m.accuracy));
    for (const [f, t] of Object.entries(mtimes)) if (join(runs, f) !== lost) expect(statSync(join(runs, f)).mtimeMs).toBe(t);
    // Nothing missing: nothing trained.
    trained.length = 0;
    await runAblation({ ...small(out, 2), onTrain: (id) => trained.push(runName(id)) });
    expect(trained).toEqual([]);
    // Another budget is another set of runs (other ids) beside the first: nothing is mixed.
    const other = await runAblation({ ...small(out, 1), budget: { ...small(out).budget, epochs: 3 }, onTrain: (id) => trained.push(runName(id)) });
    expect(trained).toEqual(['linear-seed0', 'quantum-seed0', 'mlp-seed0']);
    expect(other.models.map((m) => m.epochsRun)).toEqual([[3], [3], [3]]);
    expect(readdirSync(runs)).toHaveLength(9);
    for (const [f, t] of Object.entries(mtimes)) if (join(runs, f) !== lost) expect(statSync(join(runs, f)).mtimeMs).toBe(t);
  });

  it('other forms of B and several data seeds: runs paired by (data seed, seed), the statistics of the tables', async () => {
    const out = join(dir, 'variants');
    const r = await runAblation({ ...small(out, 2), dataSeeds: 2, variants: [{}, parseVariant('z+reupload')] });
    expect(r.models.map((m) => `${m.label}:${m.key}`)).toEqual(['A:linear', 'B:quantum', 'C:mlp', 'B2:quantum-z-reupload']);
    expect(runNames(out)).toContain('quantum-z-reupload-data43-seed1');
    expect(runNames(out)).toHaveLength(16);
    for (const m of r.models) {
      expect(m.dataSeeds).toEqual([42, 42, 43, 43]);
      expect(m.seeds).toEqual([0, 1, 0, 1]);
      expect(m.accuracy.n).toBe(4);
      expect(m.accuracy.interval.low).toBeLessThanOrEqual(m.accuracy.mean);
      expect(m.accuracy.collapse.threshold).toBe(0.9);
      expect(m.perDataSeed!.map((p) => p.dataSeed)).toEqual([42, 43]);
    }
    expect(r.models[3].spec).toMatchObject({ readout: 'z', reupload: true });
    expect(r.comparisons.map((c) => c.name)).toEqual(['B - A', 'B - C', 'B2 - A', 'B2 - C', 'B2 - B']);
    const [a, b] = [r.models[0].accuracy.values, r.models[1].accuracy.values];
    expect(r.comparisons[0].test.p).toBe(pairedPermutationTest(a, b).p);
    expect(r.comparisons[0].test.method).toBe('exact');
    expect(r.efficiencyRatios.map((e) => e.name)).toEqual(['B / A', 'B / C', 'B2 / A', 'B2 / C']);
    const md = readFileSync(join(out, 'ablation.md'), 'utf8');
    expect(md).toContain('## Paired differences of test accuracy');
    expect(md).toContain('| data seed 42 | data seed 43 |');
    expect(r.claimChecks.map((c) => c.claim)).toEqual(['eta(B) / eta(A) in 1.5 to 2.5', 'eta(B) / eta(C) in 1.5 to 2.5', 'B reaches 90% by epoch 20', 'C reaches 90% by epoch 50']);
    expect(() => parseVariant('zz')).toThrow(/--readout/);
  });
});
