import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { initParams, makeSpec, type SpecOptions } from '../../src/moe/models.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import type { TrainingData, TrainingEngine } from '../../src/train/engine.js';
import { createWebGpuEngine } from '../../src/train/gpu-engine.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';

/**
 * The WebGPU engine (f32, every step on the GPU) against the float64 CPU engine: same data, same
 * initial parameters, same batches. Tolerances: parameters after 5 Adam steps within 2e-4
 * (f32 rounding amplified by Adam's normalisation of small gradients), losses within 1e-4.
 */
const models: [string, SpecOptions][] = [
  ['linear router', { router: 'linear', experts: 3 }],
  ['MLP router', { router: 'mlp', experts: 2, hidden: [5, 4] }],
  ['quantum paper', { router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 4 }],
  ['quantum code', { router: 'quantum', preset: 'code', qubits: 2, layers: 3, experts: 2 }],
  // Readouts other than the preset's (src/moe/models.ts readoutOf): the same kernels' outputs.
  ['quantum paper, z readout', { router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 3, readout: 'z' }],
  ['quantum paper, parity readout, re-uploading', { router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 2, readout: 'parity', reupload: true }],
  ['quantum code, blocks readout', { router: 'quantum', preset: 'code', qubits: 2, layers: 2, experts: 4, readout: 'blocks' }],
];

function data(rng: () => number, rows: number, features: number, classes: number): TrainingData {
  const x = Float64Array.from({ length: rows * features }, () => rng() * Math.PI);
  const y = Int32Array.from({ length: rows }, () => Math.floor(rng() * classes));
  return { x, y, rows, features, classes };
}

describe.skipIf(skipGpu)('WebGPU training engine against the CPU engine', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  it.each(models)('%s: same losses, accuracies and parameters over 5 steps', async (_, options) => {
    const rng = mulberry32(7);
    const spec = makeSpec({ features: 2, classes: 2, ...options });
    const train = data(rng, 37, 2, 2);
    const validation = data(rng, 11, 2, 2);
    const params = initParams(spec, { seed: 3 });
    const engines: TrainingEngine[] = [createCpuEngine(spec, { lr: 0.05 }), await createWebGpuEngine(gpu, spec, { lr: 0.05, capacity: 16 })];
    const results = [];
    for (const engine of engines) {
      await engine.load('train', train);
      await engine.load('validation', validation);
      await engine.setParams(params);
      const before = await engine.evaluate('validation');
      for (let s = 0; s < 5; s++) engine.step(Int32Array.from({ length: 7 }, (_, i) => (s * 7 + i * 3) % 37));
      const epoch = await engine.epochStats();
      const after = await engine.evaluate('validation');
      const probs = await engine.predict(validation.x, validation.rows);
      results.push({ before, epoch, after, params: await engine.getParams(), probs });
      engine.dispose();
    }
    const [cpu, gpuRun] = results;
    expect(Math.abs(gpuRun.before.loss - cpu.before.loss)).toBeLessThan(1e-4);
    expect(gpuRun.before.accuracy).toBeCloseTo(cpu.before.accuracy, 6);
    expect(Math.abs(gpuRun.epoch.loss - cpu.epoch.loss)).toBeLessThan(1e-4);
    expect(Math.abs(gpuRun.after.loss - cpu.after.loss)).toBeLessThan(1e-4);
    // Angles whose exact gradient is zero (a diagonal gate right before the measurement, a qubit
    // outside the measured experts) stay put in float64; in f32 their gradient is rounding noise,
    // which Adam normalises into steps of about lr (in float64 into steps of about 1e-9: the
    // code circuit's last RZ before a Z-basis readout). Compare every parameter the CPU moved.
    let worst = 0;
    let compared = 0;
    for (let i = 0; i < cpu.params.length; i++) {
      if (Math.abs(cpu.params[i] - params[i]) < 1e-6) continue;
      compared++;
      worst = Math.max(worst, Math.abs(gpuRun.params[i] - cpu.params[i]));
    }
    expect(compared).toBeGreaterThan(0.7 * cpu.params.length);
    expect(worst).toBeLessThan(2e-4);
    for (let i = 0; i < cpu.probs.length; i++) expect(Math.abs(gpuRun.probs[i] - cpu.probs[i])).toBeLessThan(1e-4);
  });
});

describe.skipIf(skipGpu)('WebGPU and CPU trainers: the same loss curve for the same seed', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  // Three epochs of the trainer (shuffling, batches, Adam, validation, best-epoch restore) on the
  // study's moons with both presets' quantum routers: per-epoch losses within 1e-3, accuracies
  // within 2 rows, and the restored parameters the CPU moved within 1e-3 (f32 against float64, after ~50 steps).
  it.each(['paper', 'code'] as const)('%s preset quantum router, 3 epochs', async (preset) => {
    const { DEFAULT_MOONS, prepareData } = await import('../../src/train/dataset.js');
    const { train } = await import('../../src/train/trainer.js');
    const { defaultSpec } = await import('../../src/moe/models.js');
    const data = prepareData({ ...DEFAULT_MOONS, samples: 300 }, preset);
    const spec = defaultSpec('quantum', preset);
    const runs = [];
    for (const engine of [createCpuEngine(spec, { lr: 0.01 }), await createWebGpuEngine(gpu, spec, { lr: 0.01, capacity: 64 })]) {
      await engine.setParams(initParams(spec, { seed: 5 }));
      runs.push(await train(engine, { train: data.splits.train, validation: data.splits.validation }, { epochs: 3, batch: 32, seed: 9, patience: 10 }));
      engine.dispose();
    }
    const [cpu, gpuRun] = runs;
    expect(gpuRun.history.length).toBe(3);
    const rows = data.splits.validation.rows;
    cpu.history.forEach((h, e) => {
      const g = gpuRun.history[e];
      expect(Math.abs(g.trainLoss - h.trainLoss)).toBeLessThan(1e-3);
      expect(Math.abs(g.valLoss - h.valLoss)).toBeLessThan(1e-3);
      expect(Math.abs(g.valAccuracy - h.valAccuracy)).toBeLessThanOrEqual(2 / rows + 1e-12);
    });
    expect(gpuRun.bestEpoch).toBe(cpu.bestEpoch);
    // As above: angles with an exact zero gradient (the code preset's last RZ before the
    // measurement) stay put in float64 and drift by f32 noise times Adam's lr on the GPU.
    const start = initParams(spec, { seed: 5 });
    cpu.params.forEach((p, i) => {
      if (Math.abs(p - start[i]) > 1e-9) expect(Math.abs(gpuRun.params[i] - p)).toBeLessThan(1e-3);
    });
  });
});
