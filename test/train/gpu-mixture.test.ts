import { afterAll, describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { cpuOnlyOption } from '../../src/moe/mixture-spec.js';
import { makeSpec, paramLayout, type SpecOptions } from '../../src/moe/models.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import type { TrainingEngine } from '../../src/train/engine.js';
import { MAX_GPU_ROUTE_SHOTS, createWebGpuEngine, type GpuEngineOptions } from '../../src/train/gpu-engine.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { trainSteps } from '../helpers/engine-conformance.js';

/**
 * The WebGPU engine's gates and balance loss (shaders/moe_head.wgsl) beyond the 5-step engine
 * conformance models (test/helpers/conformance.ts): top-k = experts is the dense model, top-1's
 * router learns only from the balance loss, route shots over several submissions, evaluation in
 * chunks and batches of one row draw as the float64 engine does for the same seed. Tolerance: f32
 * against float64, 1e-4 on losses and predicted probabilities, 2e-4 on the parameters.
 */
const gpu: GpuContext | null = skipGpu ? null : await testGpu();
afterAll(() => gpu?.destroy());

const LOSS_TOL = 1e-4;
const PARAM_TOL = 2e-4;

/** Batches of `batch` rows (odd sizes; 1 is a batch without a baseline), 6 Adam steps, an evaluation and a prediction. */
const run = (engine: TrainingEngine, spec: ReturnType<typeof makeSpec>, batch: number) =>
  trainSteps(engine, spec, { trainRows: 31, validationRows: 13, batch, steps: 6, stride: 5, dataSeed: 11, paramSeed: 4 });

type Run = Awaited<ReturnType<typeof run>>;

function expectClose(got: Run, want: Run): void {
  for (const k of ['before', 'epoch', 'after'] as const) {
    expect(Math.abs(got[k].loss - want[k].loss), k).toBeLessThan(LOSS_TOL);
    expect(got[k].accuracy, k).toBeCloseTo(want[k].accuracy, 6);
  }
  for (let i = 0; i < want.probs.length; i++) expect(Math.abs(got.probs[i] - want.probs[i])).toBeLessThan(LOSS_TOL);
  for (let i = 0; i < want.params.length; i++) expect(Math.abs(got.params[i] - want.params[i]), `param ${i}`).toBeLessThan(PARAM_TOL);
}

const cpuRun = (options: SpecOptions, batch: number, routeSeed = 0) => {
  const spec = makeSpec({ features: 2, classes: 2, ...options });
  return run(createCpuEngine(spec, { lr: 0.05, routeSeed }), spec, batch);
};
const gpuRun = async (options: SpecOptions, batch: number, engine: GpuEngineOptions = {}) => {
  const spec = makeSpec({ features: 2, classes: 2, ...options });
  return run(await createWebGpuEngine(gpu!, spec, { lr: 0.05, capacity: 16, ...engine }), spec, batch);
};

describe('cpuOnlyOption (what the WebGPU engine and --backend auto leave to the CPU engines)', () => {
  it('is quantum experts only', () => {
    for (const extra of [{ topK: 2 }, { routeShots: 3 }, { balance: 0.1 }, { topK: 1, balance: 1 }] as Partial<SpecOptions>[]) expect(cpuOnlyOption(makeSpec({ router: 'linear', ...extra }))).toBeNull();
    expect(cpuOnlyOption(makeSpec({ router: 'linear', expertsKind: 'quantum', topK: 2 }))).toEqual({ option: '--experts-kind', value: 'quantum' });
  });
});

describe.skipIf(!gpu)('the WebGPU engine: top-k, route shots, balance', () => {
  it('top-k with K = experts is the dense model, bit for bit', async () => {
    const dense = await gpuRun({ router: 'mlp', experts: 3, hidden: [4] }, 5);
    const topK = await gpuRun({ router: 'mlp', experts: 3, hidden: [4], topK: 3 }, 5);
    expect(Array.from(topK.params)).toEqual(Array.from(dense.params));
    expect(topK.epoch).toEqual(dense.epoch);
  });

  it('top-1: the router has no gradient without the balance loss (its renormalised weight is 1); with it, it learns as on the float64 engine', async () => {
    const options: SpecOptions = { router: 'linear', experts: 3, topK: 1 };
    const spec = makeSpec({ features: 2, classes: 2, ...options });
    const router = paramLayout(spec).router;
    const plain = await gpuRun(options, 7);
    for (let i = 0; i < router; i++) expect(plain.params[i]).toBe(Math.fround(plain.start[i]));
    expectClose(plain, await cpuRun(options, 7));
    const balanced = await gpuRun({ ...options, balance: 2 }, 7);
    expect(Math.max(...Array.from({ length: router }, (_, i) => Math.abs(balanced.params[i] - balanced.start[i])))).toBeGreaterThan(1e-3);
    expectClose(balanced, await cpuRun({ ...options, balance: 2 }, 7));
  });

  it.each([
    ['one step per submission, batches of 3', 3, { stepsPerSubmit: 1 }],
    ['evaluation and prediction in chunks of 4 rows, batches of 1 (no baseline)', 1, { capacity: 4 }],
    ['another seed, batches of 9', 9, { routeSeed: 123456789 }],
  ] as [string, number, GpuEngineOptions][])('route shots with balance, %s: the float64 engine\'s draws and numbers', async (_, batch, engine) => {
    const options: SpecOptions = { router: 'quantum', preset: 'paper', qubits: 2, layers: 2, experts: 4, routeShots: 3, balance: 0.3 };
    expectClose(await gpuRun(options, batch, engine), await cpuRun(options, batch, engine.routeSeed ?? 0));
  });

  it(`refuses quantum experts and more than ${MAX_GPU_ROUTE_SHOTS} route shots, naming the option`, async () => {
    for (const [option, extra] of [
      ['--experts-kind', { expertsKind: 'quantum' }],
      ['--route-shots', { routeShots: MAX_GPU_ROUTE_SHOTS + 1 }],
    ] as [string, SpecOptions][]) {
      const err = await createWebGpuEngine(gpu!, makeSpec({ ...extra, router: 'linear' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QmoeInputError);
      expect((err as QmoeInputError).argument).toBe(option);
      expect((err as Error).message).toMatch(/--backend cpu/);
    }
  });
});
