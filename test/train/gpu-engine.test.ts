import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { initParams } from '../../src/moe/models.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import { createWebGpuEngine } from '../../src/train/gpu-engine.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';

// The 5-step comparison of the WebGPU engine with the CPU engine on every model is part of the
// engine conformance suite (test/train/conformance.test.ts, test/helpers/conformance.ts).

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
