import { describe, expect, it } from 'vitest';
import { initParams, makeSpec } from '../../src/moe/models.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import type { TrainingData, TrainingEngine } from '../../src/train/engine.js';
import { createWebGpuEngine } from '../../src/train/gpu-engine.js';
import { train, type EpochProgress } from '../../src/train/trainer.js';
import { untimed } from '../helpers/history.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';

function data(rng: () => number, rows: number): TrainingData {
  return { x: Float64Array.from({ length: rows * 2 }, () => rng() * Math.PI), y: Int32Array.from({ length: rows }, () => (rng() < 0.5 ? 0 : 1)), rows, features: 2, classes: 2 };
}

const spec = makeSpec({ router: 'quantum', preset: 'paper', qubits: 2, layers: 2 });
const rng = mulberry32(11);
const sets = { train: data(rng, 45), validation: data(rng, 9) };

/** Trains 2 epochs of 45 rows in batches of 5 (9 batches), with or without batch reports. */
async function run(engine: TrainingEngine, onBatch?: (p: EpochProgress) => void, progressSeconds?: number, now?: () => number) {
  await engine.setParams(initParams(spec, { seed: 1 }));
  return train(engine, sets, { epochs: 2, batch: 5, patience: 0, seed: 4, onProgress: onBatch, progressSeconds, now });
}

function expectReports(reports: EpochProgress[], batchesEach: number[]): void {
  expect(reports.map((r) => `${r.epoch}:${r.batch}/${r.batches}`)).toEqual(batchesEach.flatMap((b, i) => Array.from({ length: b }, (_, k) => `${i + 1}:${k + 1}/9`)));
  for (let i = 1; i < reports.length; i++) if (reports[i].epoch === reports[i - 1].epoch) expect(reports[i].seconds).toBeGreaterThanOrEqual(reports[i - 1].seconds);
}

describe('progress within an epoch (TrainOptions.onProgress)', () => {
  it('CPU engine: reports every batch but the last with interval 0, none for fast epochs, and trains the same numbers', async () => {
    const plain = await run(createCpuEngine(spec, { lr: 0.05 }));
    const reports: EpochProgress[] = [];
    const reported = await run(createCpuEngine(spec, { lr: 0.05 }), (p) => reports.push(p), 0);
    expectReports(reports, [8, 8]);
    expect(untimed(reported.history)).toEqual(untimed(plain.history));
    expect(Array.from(reported.params)).toEqual(Array.from(plain.params));
    const none: EpochProgress[] = [];
    await run(createCpuEngine(spec, { lr: 0.05 }), (p) => none.push(p));
    expect(none).toEqual([]); // a 2 s interval: these epochs take milliseconds
  });

  it('settles every k batches so that reports come about every interval', async () => {
    // 25 ms of work per step on a simulated clock, done when the engine settles; interval 0.1 s:
    // every 4th batch (a simulated clock, so that a loaded machine cannot change the pace).
    const inner = createCpuEngine(spec, { lr: 0.05 });
    let queued = 0;
    let clock = 0;
    const slow: TrainingEngine = {
      kind: inner.kind,
      spec: inner.spec,
      load: (split, d) => inner.load(split, d),
      setParams: (p) => inner.setParams(p),
      getParams: () => inner.getParams(),
      keepBest: () => inner.keepBest(),
      restoreBest: () => inner.restoreBest(),
      epochStats: () => inner.epochStats(),
      evaluate: (split) => inner.evaluate(split),
      predict: (x, rows) => inner.predict(x, rows),
      dispose: () => inner.dispose(),
      step: (rows) => {
        inner.step(rows);
        queued++;
      },
      settle: async () => {
        await inner.settle!();
        clock += 25 * queued;
        queued = 0;
      },
    };
    const reports: EpochProgress[] = [];
    await run(slow, (p) => reports.push(p), 0.1, () => clock);
    // Epoch 1 settles after batch 1 to measure the pace (25 ms a batch), then every k-th batch
    // with k = floor(0.1 s / pace) = 4; epoch 2 keeps the pace measured over epoch 1.
    expect(reports.map((r) => `${r.epoch}:${r.batch}:${r.seconds}`)).toEqual(['1:1:0.025', '1:4:0.1', '1:8:0.2', '2:4:0.1', '2:8:0.2']);
  });

  it.skipIf(skipGpu)('WebGPU engine: the same reports, and the same training as without them', async () => {
    const gpu = await testGpu();
    try {
      const plain = await run(await createWebGpuEngine(gpu, spec, { lr: 0.05 }));
      const reports: EpochProgress[] = [];
      const reported = await run(await createWebGpuEngine(gpu, spec, { lr: 0.05 }), (p) => reports.push(p), 0);
      expectReports(reports, [8, 8]);
      expect(untimed(reported.history)).toEqual(untimed(plain.history));
      expect(Array.from(reported.params)).toEqual(Array.from(plain.params));
    } finally {
      gpu.destroy();
    }
  });
});
