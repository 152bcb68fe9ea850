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

describe.skipIf(skipGpu)('WebGPU engine: steps recorded into shared command buffers', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  // The same kernels in the same order whether a step is its own submission or one of many in a
  // command buffer: the parameters, the epoch statistics and the early-stopping history must be
  // bitwise the same. 300 rows at batch 32 end every epoch on a 12-row batch (a second batch size);
  // 5 steps per submission leaves partial groups; settle() and onBatch between steps still work.
  it('gives bitwise the same training with 1, 5 and 64 steps per submission', async () => {
    const { DEFAULT_MOONS, prepareData } = await import('../../src/train/dataset.js');
    const { train } = await import('../../src/train/trainer.js');
    const { defaultSpec } = await import('../../src/moe/models.js');
    const data = prepareData({ ...DEFAULT_MOONS, samples: 420 }, 'paper');
    expect(data.splits.train.rows % 32).not.toBe(0);
    const spec = defaultSpec('quantum', 'paper');
    const results = [];
    for (const stepsPerSubmit of [1, 5, 64]) {
      const engine = await createWebGpuEngine(gpu, spec, { lr: 0.05, capacity: 64, stepsPerSubmit });
      await engine.setParams(initParams(spec, { seed: 3 }));
      let batches = 0;
      const r = await train(engine, { train: data.splits.train, validation: data.splits.validation }, { epochs: 3, batch: 32, seed: 4, patience: 10, onBatch: () => void batches++ });
      const all = await engine.evaluate('train');
      engine.dispose();
      results.push({ params: Array.from(r.params), history: r.history.map((h) => [h.trainLoss, h.trainAccuracy, h.valLoss, h.valAccuracy]), bestEpoch: r.bestEpoch, batches, all });
    }
    expect(results[0].batches).toBe(3 * Math.ceil(data.splits.train.rows / 32));
    for (const other of results.slice(1)) expect(other).toEqual(results[0]);
  });

  it('rejects a bad stepsPerSubmit and row indices outside the split at step()', async () => {
    const { defaultSpec } = await import('../../src/moe/models.js');
    const spec = defaultSpec('quantum', 'paper');
    await expect(createWebGpuEngine(gpu, spec, { stepsPerSubmit: 0 })).rejects.toThrow(/stepsPerSubmit/);
    const engine = await createWebGpuEngine(gpu, spec, { capacity: 8 });
    try {
      await engine.load('train', { x: new Float64Array(4), y: new Int32Array(2), rows: 2, features: 2, classes: 2 });
      expect(() => engine.step(Int32Array.from([0, 2]))).toThrow(/row indices must be from 0 to 1/);
      // A batch over the engine's capacity (at 24 qubits a few rows fill the adapter) names --batch.
      expect(() => engine.step(new Int32Array(9))).toThrow(/--batch: 9 is invalid; the WebGPU engine holds at most 8 rows per batch for this model \(2-qubit states\).*use --batch 8 or fewer/);
    } finally {
      engine.dispose();
    }
  });
});
