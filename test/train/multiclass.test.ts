import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/data/rng.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { initParams, makeSpec, paramLayout } from '../../src/moe/models.js';
import type { ModelSpec } from '../../src/moe/spec.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import type { TrainingData, TrainingEngine } from '../../src/train/engine.js';
import { createWebGpuEngine } from '../../src/train/gpu-engine.js';
import { classificationReport } from '../../src/train/metrics.js';
import { train } from '../../src/train/trainer.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';

/**
 * More than two classes, on the float64 CPU engine and the WebGPU engine: experts output one
 * logit per class and their number does not depend on it; a 3-class set trains above chance on
 * both; the GPU engine matches the CPU engine step for step; and streamed training and
 * evaluation (the split larger than what one dispatch holds, batches uploaded one by one)
 * give what the in-memory run (the whole split in one dispatch) gives.
 */
const CENTERS = [
  [0.8, 0.8, 0.8],
  [2.3, 0.9, 1.6],
  [1.4, 2.4, 2.3],
];

/** Three Gaussian blobs in [0, pi]^3 (sd 0.3), labels 0, 1, 2 in turn. */
function blobs(rows: number, seed: number): TrainingData {
  const rng = new Rng(seed);
  const x = new Float64Array(rows * 3);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    y[r] = r % 3;
    for (let j = 0; j < 3; j++) x[r * 3 + j] = CENTERS[y[r]][j] + 0.3 * rng.normal();
  }
  return { x, y, rows, features: 3, classes: 3 };
}

/** The quantum router (paper preset) on 3 qubits with 2 experts: fewer experts than classes. */
const spec: ModelSpec = makeSpec({ router: 'quantum', preset: 'paper', features: 3, classes: 3, qubits: 3, layers: 2, experts: 2 });

async function fitAndScore(engine: TrainingEngine, epochs: number): Promise<{ accuracy: number; history: { valLoss: number; trainLoss: number }[]; params: Float64Array }> {
  await engine.setParams(initParams(spec, { seed: 1 }));
  const r = await train(engine, { train: blobs(120, 2), validation: blobs(30, 3) }, { epochs, batch: 16, seed: 4, patience: 0 });
  const test = blobs(60, 5);
  const probs = await engine.predict(test.x, test.rows);
  const pred = Int32Array.from({ length: test.rows }, (_, i) => {
    const p = probs.subarray(i * 3, i * 3 + 3);
    return p.indexOf(Math.max(...p));
  });
  return { accuracy: classificationReport(test.y, pred, 3).accuracy, history: r.history, params: r.params };
}

describe('multi-class models', () => {
  it('experts have one logit per class, their number is free', () => {
    const ten = makeSpec({ router: 'quantum', preset: 'paper', features: 8, classes: 10, qubits: 8, layers: 4, experts: 16 });
    expect(paramLayout(ten)).toEqual({ router: 32, circuit: 32, experts: 16 * 10 * 9, total: 32 + 1440 });
    expect(paramLayout(spec).experts).toBe(2 * 3 * 4);
  });

  it('a 3-class set trains above chance on the CPU engine', async () => {
    const r = await fitAndScore(createCpuEngine(spec, { lr: 0.05 }), 15);
    expect(r.accuracy).toBeGreaterThan(0.6);
    expect(r.history.at(-1)!.valLoss).toBeLessThan(r.history[0].valLoss);
  });

  it('streamed evaluation equals in-memory on the CPU engine (chunks of 7 rows against one)', async () => {
    const results = [];
    for (const chunk of [7, 4096]) {
      const engine = createCpuEngine(spec, { lr: 0.05, chunk });
      const r = await fitAndScore(engine, 2);
      await engine.load('test', blobs(60, 5));
      results.push({ ...r, test: await engine.evaluate('test') });
      engine.dispose();
    }
    expect(results[0].params).toEqual(results[1].params);
    expect(results[0].test.accuracy).toBe(results[1].test.accuracy);
    expect(results[0].test.loss).toBeCloseTo(results[1].test.loss, 12);
  });
});

describe.skipIf(skipGpu)('multi-class models on the WebGPU engine', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  it('matches the CPU engine over 4 steps with 3 classes (losses, predictions, parameters)', async () => {
    const data = blobs(40, 6);
    const params = initParams(spec, { seed: 2 });
    const runs = [];
    for (const engine of [createCpuEngine(spec, { lr: 0.05 }), await createWebGpuEngine(gpu, spec, { lr: 0.05, capacity: 16 })]) {
      await engine.load('train', data);
      await engine.load('validation', data);
      await engine.setParams(params);
      for (let s = 0; s < 4; s++) engine.step(Int32Array.from({ length: 9 }, (_, i) => (s * 9 + i * 7) % 40));
      const epoch = await engine.epochStats();
      const val = await engine.evaluate('validation');
      runs.push({ epoch, val, probs: await engine.predict(data.x, data.rows), params: await engine.getParams() });
      engine.dispose();
    }
    const [cpu, g] = runs;
    expect(Math.abs(g.epoch.loss - cpu.epoch.loss)).toBeLessThan(1e-4);
    expect(Math.abs(g.val.loss - cpu.val.loss)).toBeLessThan(1e-4);
    expect(g.val.accuracy).toBe(cpu.val.accuracy);
    for (let i = 0; i < cpu.probs.length; i++) expect(Math.abs(g.probs[i] - cpu.probs[i])).toBeLessThan(1e-4);
    for (let i = paramLayout(spec).router; i < cpu.params.length; i++) expect(Math.abs(g.params[i] - cpu.params[i])).toBeLessThan(2e-4);
  });

  it('a 3-class set trains above chance; streamed (16 rows per dispatch) equals in-memory (all rows in one)', async () => {
    const streamed = await fitAndScore(await createWebGpuEngine(gpu, spec, { lr: 0.05, capacity: 16 }), 15);
    expect(streamed.accuracy).toBeGreaterThan(0.6);
    const inMemory = await fitAndScore(await createWebGpuEngine(gpu, spec, { lr: 0.05, capacity: 256 }), 15);
    streamed.history.forEach((h, e) => {
      expect(Math.abs(h.trainLoss - inMemory.history[e].trainLoss)).toBeLessThan(1e-5);
      expect(Math.abs(h.valLoss - inMemory.history[e].valLoss)).toBeLessThan(1e-5);
    });
    for (let i = 0; i < streamed.params.length; i++) expect(Math.abs(streamed.params[i] - inMemory.params[i])).toBeLessThan(1e-5);
    expect(streamed.accuracy).toBe(inMemory.accuracy);
  });
});
