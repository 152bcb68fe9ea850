import { afterAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { initParams, makeSpec, type SpecOptions } from '../../src/moe/models.js';
import type { ModelSpec } from '../../src/moe/spec.js';
import type { TrainingData, TrainingEngine } from '../../src/train/engine.js';
import { CONFORMANCE_ENGINES } from './conformance.js';
import { skipGpu, testGpu } from './gpu.js';
import { mulberry32 } from './random.js';

/** Random rows: features uniform in [0, pi), labels uniform over the classes. */
export function randomTrainingData(rng: () => number, rows: number, features = 2, classes = 2): TrainingData {
  const x = Float64Array.from({ length: rows * features }, () => rng() * Math.PI);
  const y = Int32Array.from({ length: rows }, () => Math.floor(rng() * classes));
  return { x, y, rows, features, classes };
}

/** How trainSteps runs: data sizes and seeds, and steps of `batch` rows (row i of step s: (s * batch + i * stride) mod trainRows). */
export interface StepsPlan {
  trainRows: number;
  validationRows: number;
  batch: number;
  steps: number;
  stride: number;
  dataSeed: number;
  paramSeed: number;
}

/**
 * Loads random two-feature, two-class data into `engine`, sets initParams(spec, paramSeed),
 * evaluates, takes the steps, evaluates and predicts again; disposes the engine.
 */
export async function trainSteps(engine: TrainingEngine, spec: ModelSpec, plan: StepsPlan) {
  const rng = mulberry32(plan.dataSeed);
  const train = randomTrainingData(rng, plan.trainRows, spec.features, spec.classes);
  const validation = randomTrainingData(rng, plan.validationRows, spec.features, spec.classes);
  const start = initParams(spec, { seed: plan.paramSeed });
  try {
    await engine.load('train', train);
    await engine.load('validation', validation);
    await engine.setParams(start);
    const before = await engine.evaluate('validation');
    for (let s = 0; s < plan.steps; s++) engine.step(Int32Array.from({ length: plan.batch }, (_, i) => (s * plan.batch + i * plan.stride) % plan.trainRows));
    const epoch = await engine.epochStats();
    const after = await engine.evaluate('validation');
    const probs = await engine.predict(validation.x, validation.rows);
    return { start, before, epoch, after, probs, params: await engine.getParams() };
  } finally {
    engine.dispose();
  }
}

/** Over the parameters the reference moved from its start (by 1e-6 or more): how many, and the largest |got - reference|. */
export function movedParams(reference: { start: Float64Array; params: Float64Array }, got: Float64Array): { worst: number; moved: number } {
  let worst = 0;
  let moved = 0;
  for (let i = 0; i < reference.params.length; i++) {
    if (Math.abs(reference.params[i] - reference.start[i]) < 1e-6) continue;
    moved++;
    worst = Math.max(worst, Math.abs(got[i] - reference.params[i]));
  }
  return { worst, moved };
}

const CONFORMANCE_PLAN: StepsPlan = { trainRows: 37, validationRows: 11, batch: 7, steps: 5, stride: 3, dataSeed: 7, paramSeed: 3 };

/**
 * Every training engine of test/helpers/conformance.ts against the float64 CPU engine on `models`:
 * same data, same initial parameters, same batches (7 rows of 37), five Adam steps; losses,
 * accuracies, predictions and the parameters the reference moved compared within the engine's
 * tolerances. Call at the top level of a test file.
 */
export async function describeEngineConformance(models: [string, SpecOptions][]): Promise<void> {
  const gpu: GpuContext | null = skipGpu ? null : await testGpu();
  afterAll(() => gpu?.destroy());

  const run = async (engineIndex: number, options: SpecOptions) => {
    const spec = makeSpec({ features: 2, classes: 2, ...options });
    return trainSteps(await CONFORMANCE_ENGINES[engineIndex].make(gpu, spec, 0.05), spec, CONFORMANCE_PLAN);
  };

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
      const { worst, moved } = movedParams(cpu, got.params);
      expect(moved).toBeGreaterThan(0.7 * cpu.params.length);
      expect(worst).toBeLessThan(e.paramTol);
      for (let i = 0; i < cpu.probs.length; i++) expect(Math.abs(got.probs[i] - cpu.probs[i])).toBeLessThan(e.lossTol);
    });
  });
}
