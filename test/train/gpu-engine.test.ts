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
    // which Adam normalises into steps of about lr. Compare every parameter the CPU moved.
    let worst = 0;
    let compared = 0;
    for (let i = 0; i < cpu.params.length; i++) {
      if (Math.abs(cpu.params[i] - params[i]) < 1e-9) continue;
      compared++;
      worst = Math.max(worst, Math.abs(gpuRun.params[i] - cpu.params[i]));
    }
    expect(compared).toBeGreaterThan(0.7 * cpu.params.length);
    expect(worst).toBeLessThan(2e-4);
    for (let i = 0; i < cpu.probs.length; i++) expect(Math.abs(gpuRun.probs[i] - cpu.probs[i])).toBeLessThan(1e-4);
  });
});
