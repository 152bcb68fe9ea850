import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipGpu } from '../helpers/gpu.js';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runNoiseSweep, type NoiseSweepResult } from '../../src/experiments/noise-sweep.js';
import { DEFAULT_SPLIT } from '../../src/train/dataset.js';
import { runFile, runName } from '../helpers/runs.js';
import { runQmoe } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-noise-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (...args: string[]) => runQmoe(args, 120_000);

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Checks the PNG signature and returns the IHDR size. */
function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  expect(Array.from(b.subarray(0, 8))).toEqual(PNG);
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function checkOutputs(out: string): NoiseSweepResult {
  const r = JSON.parse(readFileSync(join(out, 'noise.json'), 'utf8')) as NoiseSweepResult;
  expect(r.format).toBe('qmoe-noise-sweep');
  const size = pngSize(join(out, 'noise.png'));
  expect(size.width).toBeGreaterThan(200);
  expect(size.height).toBeGreaterThan(150);
  expect(readFileSync(join(out, 'noise.svg'), 'utf8')).toMatch(/^<svg/);
  const md = readFileSync(join(out, 'noise.md'), 'utf8');
  expect(md).toMatch(/^# Noise robustness \(Table II\)/);
  expect(md).toContain('baseline A (linear, noiseless)');
  expect(md).toContain('![accuracy vs error rate](noise.png)');
  // No temporary files of the atomic writes are left.
  for (const d of [out, join(out, 'runs')]) expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  return r;
}

const small = { name: 'moons' as const, samples: 120, noise: 0.1, seed: 42, split: DEFAULT_SPLIT };

describe('qmoe noise-sweep', () => {
  it('paper preset end to end (CLI): table, JSON, plot; p = 0 equals the noiseless accuracy; a rerun trains nothing', async () => {
    const out = join(dir, 'paper');
    const args = ['noise-sweep', '--dataset', 'moons', '--samples', '120', '--seeds', '1', '--epochs', '2', '--rates', '0,0.02,0.05', '--out', out];
    const first = await qmoe(...args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('| p |');
    expect(first.stderr).toMatch(/noise-sweep 2\/2: quantum seed 0 done/);
    const r = checkOutputs(out);
    expect(r.preset).toBe('paper');
    expect(r.protocol).toBe('evaluate');
    expect(r.placement).toBe('every-gate');
    expect(r.rates).toEqual([0, 0.02, 0.05]);
    expect(r.points.map((p) => p.p)).toEqual([0, 0.02, 0.05]);
    expect(r.runs.map((x) => runName(x.id)).sort()).toEqual(['linear-seed0', 'quantum-seed0']);
    expect(r.evaluations).toHaveLength(3);
    // p = 0 through the density matrix equals the noiseless state-vector accuracy of the same B.
    const b = JSON.parse(readFileSync(runFile(out, 'quantum-seed0'), 'utf8'));
    expect(r.points[0].evaluated.test.mean).toBe(b.test.accuracy);
    expect(r.points[0].evaluated.train.mean).toBe(b.train.accuracy);
    expect(r.noiseless.test.mean).toBe(b.test.accuracy);
    // The study's numbers beside ours: 94% at p = 0, 82% at 0.02, none at 0.05; baseline 65%.
    expect(r.points.map((p) => p.claimed)).toEqual([0.94, 0.82, null]);
    expect(r.baseline.claimed).toBe(0.65);
    expect(r.points[1].difference).toBeCloseTo(r.points[1].evaluated.test.mean - 0.82, 12);
    const md = readFileSync(join(out, 'noise.md'), 'utf8');
    expect(md).toMatch(/\| 0\.02 \| 0\.02 \/ 0\.02 \| [\d.]+ \| [\d.]+ \| .* \| 82\.00 \| -?[\d.]+ \|/);
    expect(md).toMatch(/\| baseline A \(linear, noiseless\) \| — \| [\d.]+ \| [\d.]+ \| .* \| 65\.00 \|/);
    expect(r.points.map((p) => p.versusBaseline.name)).toEqual(['B(p = 0) - A', 'B(p = 0.02) - A', 'B(p = 0.05) - A']);
    expect(r.convention).toBe('pennylane');

    // Resume: every run is found, none trained again, the run files untouched.
    const mtime = statSync(runFile(out, 'quantum-seed0')).mtimeMs;
    const again = await qmoe(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('2 of 2 runs found');
    expect(again.stderr).not.toMatch(/done: test accuracy/);
    expect(statSync(runFile(out, 'quantum-seed0')).mtimeMs).toBe(mtime);
    const r2 = checkOutputs(out);
    expect(r2.points).toEqual(r.points);
  });

  it('code preset retrains under noise per p (noise-aware), resumes per run; other trajectories are other runs', async () => {
    const out = join(dir, 'code');
    const trained: string[] = [];
    const opts = {
      dataset: small,
      preset: 'code' as const,
      seeds: 1,
      budget: { lr: 0.1, epochs: 2, batch: 32, patience: 0, init: 'uniform' as const },
      rates: [0.1, 0],
      trajectories: 4,
      out,
      onTrain: (id: string) => trained.push(runName(id)),
    };
    const r = await runNoiseSweep(opts);
    expect(trained).toEqual(['linear-seed0', 'quantum-seed0', 'quantum-p0.1-seed0']);
    checkOutputs(out);
    expect(r.protocol).toBe('train-under-noise');
    expect(r.placement).toBe('embedding-output');
    expect(r.rates).toEqual([0, 0.1]);
    const noisy = JSON.parse(readFileSync(runFile(out, 'quantum-p0.1-seed0'), 'utf8'));
    expect(noisy.noise).toMatchObject({ p: 0.1, placement: 'embedding-output', trajectories: 4, forward: 'density-matrix' });
    expect(r.points[1].trained!.test.mean).toBe(noisy.test.accuracy);
    expect(r.points[1].trained!.train.mean).toBe(noisy.train.accuracy);
    // p = 0 is the noiseless B in both columns; the claim (training data) is compared with train accuracy.
    expect(r.points[0].trained!.test.mean).toBe(r.noiseless.test.mean);
    expect(r.points[0].evaluated.test.mean).toBe(r.noiseless.test.mean);
    expect(r.points[1].claimed).toBe(0.994);
    expect(r.points[1].ours).toBe(noisy.train.accuracy);

    // Resume after losing one run: only that one is trained again.
    rmSync(runFile(out, 'quantum-p0.1-seed0'));
    trained.length = 0;
    const r2 = await runNoiseSweep(opts);
    expect(trained).toEqual(['quantum-p0.1-seed0']);
    // Trajectories are seeded: the retrained run is the same.
    expect(r2.points).toEqual(r.points);

    // Another number of trajectories is another configuration of the noisy run: a run of its own.
    trained.length = 0;
    await runNoiseSweep({ ...opts, trajectories: 5 });
    expect(trained).toEqual(['quantum-p0.1-seed0']);
    expect(existsSync(join(out, 'noise.json'))).toBe(true);
  });

  it('paper preset with --noise-aware trains B under noise at each p > 0', async () => {
    const out = join(dir, 'aware');
    const trained: string[] = [];
    const r = await runNoiseSweep({
      dataset: small,
      preset: 'paper',
      seeds: 1,
      budget: { lr: 0.01, epochs: 1, batch: 32, patience: 0, init: 'uniform' },
      rates: [0, 0.01],
      trajectories: 2,
      noiseAware: true,
      sizes: { layers: 2 },
      out,
      onTrain: (id) => trained.push(runName(id)),
    });
    expect(trained).toEqual(['linear-seed0', 'quantum-seed0', 'quantum-p0.01-seed0']);
    expect(r.protocol).toBe('train-under-noise');
    expect(r.spec.quantum.layers).toBe(2);
    expect(r.points[1].trained).toBeDefined();
    expect(readFileSync(join(out, 'noise.md'), 'utf8')).toContain('B trained under noise: test');
  });

  it('rejects bad options with clear errors', async () => {
    const out = join(dir, 'bad');
    const cases: [string[], RegExp][] = [
      [['noise-sweep'], /--out DIR is required/],
      [['noise-sweep', '--out', out, '--preset', 'nisq'], /--preset "nisq": must be paper, code/],
      [['noise-sweep', '--out', out, '--rates', '0,abc'], /--rates "0,abc": must be comma-separated numbers/],
      [['noise-sweep', '--out', out, '--rates', '0,1.5'], /--rates\[1\].*from 0 to 1/],
      [['noise-sweep', '--out', out, '--rates', '0.1,0.1'], /listed twice/],
      [['noise-sweep', '--out', out, '--seeds', '0'], /--seeds.*from 1 to 1000/],
      [['noise-sweep', '--out', out, '--preset', 'code', '--trajectories', '0'], /--trajectories.*from 1/],
      [['noise-sweep', '--out', out, '--trajectories', '8'], /add --noise-aware/],
      [['noise-sweep', '--out', out, '--preset', 'code', '--noise-aware'], /--noise-aware applies to --preset paper/],
      [['noise-sweep', '--out', out, '--backend', 'webgpu'], /noise-sweep trains on the CPU engine/],
      [['noise-sweep', '--out', out, '--gate-noise', '0.1'], /unknown option '--gate-noise'/],
    ];
    for (const [args, re] of cases) await expect(main(args), args.join(' ')).rejects.toThrow(re);
    expect(existsSync(out)).toBe(false);
  });
});

describe('qmoe train --gate-noise', () => {
  it('trains the quantum router under noise on the CPU engine and records the gate noise', async () => {
    const out = join(dir, 'train');
    const r = await qmoe('train', '--router', 'quantum', '--preset', 'code', '--samples', '100', '--epochs', '1', '--gate-noise', '0.05', '--trajectories', '3', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('the CPU engine with the circuit in float64');
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.backend).toBe('cpu');
    expect(m.gateNoise).toEqual({ p: 0.05, placement: 'embedding-output', trajectories: 3, forward: 'density-matrix', seed: 0, circuit: 'cpu', shots: null });
    const plain = await qmoe('train', '--router', 'linear', '--samples', '100', '--epochs', '1', '--backend', 'cpu', '--out', join(dir, 'plain'), '--json');
    expect(JSON.parse(plain.stdout).gateNoise).toBeNull();
  });

  it('eval scores a noise-trained model under its training noise (the test accuracy train printed), or as told', async () => {
    const model = join(dir, 'train', 'model.json');
    const m = JSON.parse(readFileSync(join(dir, 'train', 'metrics.json'), 'utf8'));
    const asTrained = await qmoe('eval', '--model', model, '--json');
    expect(asTrained.code, asTrained.stderr).toBe(0);
    const e = JSON.parse(asTrained.stdout);
    expect(e.gateNoise).toMatchObject({ p: 0.05, placement: 'embedding-output', asTrained: true, circuits: ['router'], circuit: 'cpu' });
    expect(Math.abs(e.loss - m.testLoss)).toBeLessThan(1e-9);
    expect(e.accuracy).toBe(m.accuracy);
    // --gate-noise 0: the noiseless circuits, another loss, and the text says so.
    const clean = JSON.parse((await qmoe('eval', '--model', model, '--json', '--gate-noise', '0')).stdout);
    expect(clean.gateNoise).toBeNull();
    expect(Math.abs(clean.loss - m.testLoss)).toBeGreaterThan(1e-6);
    const text = await qmoe('eval', '--model', model, '--gate-noise', '0');
    expect(text.stdout).toMatch(/noise +none \(the model was trained under gate noise; scored here with the noiseless circuits\)/);
    const shown = await qmoe('eval', '--model', model);
    expect(shown.stdout).toMatch(/noise +p 0\.05 after the embedding and the last layer of the router; exact density matrices, as trained/);
    // A noiseless model under --gate-noise: the noise-sweep's evaluation, here for one model.
    const plainModel = join(dir, 'plain', 'model.json');
    const noisy = JSON.parse((await qmoe('eval', '--model', join(dir, 'train', 'model.json'), '--json', '--gate-noise', '0.2')).stdout);
    expect(noisy.gateNoise).toMatchObject({ p: 0.2, asTrained: false });
    expect(noisy.loss).not.toBe(e.loss);
    const refused = await qmoe('eval', '--model', plainModel, '--gate-noise', '0.1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--gate-noise: 0\.1 is invalid; applies to quantum circuits only; the model has a linear router and linear experts/);
    const stray = await qmoe('eval', '--model', plainModel, '--trajectories', '4');
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--trajectories: 4 is invalid; applies to an evaluation under gate noise only/);
  });

  it.skipIf(skipGpu)('runs the noisy circuit and its noise-aware gradient on the GPU with --backend webgpu', async () => {
    const out = join(dir, 'train-gpu');
    const r = await qmoe('train', '--router', 'quantum', '--preset', 'code', '--samples', '100', '--epochs', '1', '--gate-noise', '0.05', '--trajectories', '3', '--backend', 'webgpu', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.gateNoise).toMatchObject({ p: 0.05, trajectories: 3, circuit: 'webgpu' });
    // The same draws in f32: the CPU run above (identical settings) lands on nearly the same loss.
    const cpu = JSON.parse(readFileSync(join(dir, 'train', 'metrics.json'), 'utf8'));
    expect(Math.abs(m.testLoss - cpu.testLoss)).toBeLessThan(1e-3);
  });

  it('explains what it cannot do', async () => {
    const out = join(dir, 'train-bad');
    const cases: [string[], RegExp][] = [
      [['--router', 'mlp', '--gate-noise', '0.1'], /applies to quantum circuits only: the quantum router or --experts-kind quantum/],
      [['--router', 'quantum', '--gate-noise=-0.1'], /from 0 to 1/], [['--router', 'quantum', '--gate-noise', '1.5'], /from 0 to 1/],
      [['--router', 'quantum', '--gate-noise', 'x'], /--gate-noise "x": must be a number/],
      [['--router', 'quantum', '--gate-noise', '0.1', '--trajectories', '0'], /--trajectories.*from 1/],
      [['--router', 'quantum', '--trajectories', '4'], /--trajectories applies with --gate-noise only/],
    ];
    for (const [args, re] of cases) await expect(main(['train', ...args, '--out', out]), args.join(' ')).rejects.toThrow(re);
    expect(existsSync(out)).toBe(false);
  });
});

describe('qmoe train --gate-noise --shots', () => {
  it('trains with finite-shot outputs, records the shots, and rejects bad shot counts', async () => {
    const out = join(dir, 'train-shots');
    const r = await qmoe('train', '--router', 'quantum', '--samples', '100', '--epochs', '1', '--gate-noise', '0', '--shots', '64', '--backend', 'cpu', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.gateNoise).toMatchObject({ p: 0, shots: 64, circuit: 'cpu' });
    for (const [args, re] of [
      [['--router', 'quantum', '--shots', '10'], /--shots applies with --gate-noise only/],
      [['--router', 'quantum', '--gate-noise', '0.1', '--shots', '0'], /--shots.*from 1/],
      [['--router', 'quantum', '--gate-noise', '0.1', '--shots', '2.5'], /--shots "2.5": must be an integer/],
    ] as [string[], RegExp][]) {
      await expect(main(['train', ...args, '--out', join(dir, 'shots-bad')]), args.join(' ')).rejects.toThrow(re);
    }
  });
});
