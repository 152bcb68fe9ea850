import { afterAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { initParams, makeSpec, type SpecOptions } from '../../src/moe/models.js';
import type { TrainingData } from '../../src/train/engine.js';
import { CONFORMANCE_ENGINES } from './conformance.js';
import { skipGpu, testGpu } from './gpu.js';
import { mulberry32 } from './random.js';

/**
 * Every training engine of test/helpers/conformance.ts against the float64 CPU engine on `models`:
 * same data, same initial parameters, same batches (7 rows of 37), five Adam steps; losses,
 * accuracies, predictions and the parameters the reference moved compared within the engine's
 * tolerances. Call at the top level of a test file.
 */
export async function describeEngineConformance(models: [string, SpecOptions][]): Promise<void> {
  const gpu: GpuContext | null = skipGpu ? null : await testGpu();
  afterAll(() => gpu?.destroy());

  function data(rng: () => number, rows: number, features: number, classes: number): TrainingData {
    const x = Float64Array.from({ length: rows * features }, () => rng() * Math.PI);
    const y = Int32Array.from({ length: rows }, () => Math.floor(rng() * classes));
    return { x, y, rows, features, classes };
  }

  async function run(engineIndex: number, options: SpecOptions) {
    const rng = mulberry32(7);
    const spec = makeSpec({ features: 2, classes: 2, ...options });
    const train = data(rng, 37, 2, 2);
    const validation = data(rng, 11, 2, 2);
    const params = initParams(spec, { seed: 3 });
    const engine = await CONFORMANCE_ENGINES[engineIndex].make(gpu, spec, 0.05);
    try {
      await engine.load('train', train);
      await engine.load('validation', validation);
      await engine.setParams(params);
      const before = await engine.evaluate('validation');
      for (let s = 0; s < 5; s++) engine.step(Int32Array.from({ length: 7 }, (_, i) => (s * 7 + i * 3) % 37));
      const epoch = await engine.epochStats();
      const after = await engine.evaluate('validation');
      const probs = await engine.predict(validation.x, validation.rows);
      return { start: params, before, epoch, after, params: await engine.getParams(), probs };
    } finally {
      engine.dispose();
    }
  }

  describe.each(CONFORMANCE_ENGINES.slice(1).map((e, i) => ({ ...e, index: i + 1 })))('engine conformance: $name', (e) => {
    it.skipIf(e.gpu && !gpu).each(models)('%s: same losses, accuracies, predictions and parameters over 5 steps', async (_, options) => {
      const cpu = await run(0, options);
      const got = await run(e.index, options);
      expect(Math.abs(got.before.loss - cpu.before.loss)).toBeLessThan(e.lossTol);
      expect(got.before.accuracy).toBeCloseTo(cpu.before.accuracy, 6);
      expect(Math.abs(got.epoch.loss - cpu.epoch.loss)).toBeLessThan(e.lossTol);
      expect(Math.abs(got.after.loss - cpu.after.loss)).toBeLessThan(e.lossTol);
      // Angles whose exact gradient is zero (a diagonal gate right before the measurement, a qubit
      // outside the measured experts) stay put in float64; in f32 their gradient is rounding noise,
      // which Adam normalises into steps of about lr (in float64 into steps of about 1e-9: the code
      // circuit's last RZ before a Z-basis readout). Compare every parameter the CPU moved.
      let worst = 0;
      let compared = 0;
      for (let i = 0; i < cpu.params.length; i++) {
        if (Math.abs(cpu.params[i] - cpu.start[i]) < 1e-6) continue;
        compared++;
        worst = Math.max(worst, Math.abs(got.params[i] - cpu.params[i]));
      }
      expect(compared).toBeGreaterThan(0.7 * cpu.params.length);
      expect(worst).toBeLessThan(e.paramTol);
      for (let i = 0; i < cpu.probs.length; i++) expect(Math.abs(got.probs[i] - cpu.probs[i])).toBeLessThan(e.lossTol);
    });
  });
}
