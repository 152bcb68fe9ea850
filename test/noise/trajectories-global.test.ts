import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { type NoiseModel, noiseSchedule } from '../../src/noise/model.js';
import { trajectoryProbabilitiesCpu } from '../../src/noise/trajectories-cpu.js';
import { trajectoryProbabilitiesGlobal } from '../../src/noise/trajectories-global.js';
import { trajectoryProbabilitiesGpu } from '../../src/noise/trajectories-gpu.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, paramCircuit, pointsModel, randomBatch } from './helpers.js';

/** f32 probabilities against float64: |gpu - cpu| <= 2e-6 + 1e-4 x the largest probability of the batch. */
function expectProbabilities(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  let top = 0;
  for (let i = 0; i < want.length; i++) top = Math.max(top, want[i]);
  expect(maxAbsDiff(got, want), what).toBeLessThan(2e-6 + 1e-4 * top);
}

const POINTS = (n: number): NoiseModel => pointsModel(n, 2, 0.04);

describe.skipIf(skipGpu)('noise trajectories on the global-memory path against trajectoryProbabilitiesCpu (same draws)', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  it.each([
    { n: 13, rows: 3, T: 3, real: false, model: { p: 0.2, p2: 0.3 } as NoiseModel },
    { n: 13, rows: 1, T: 5, real: true, model: POINTS(13) },
    { n: 3, rows: 5, T: 7, real: false, model: { p: 0.25, p2: 0.3, readout: 0.05 } as NoiseModel },
    { n: 5, rows: 3, T: 4, real: true, model: POINTS(5) },
  ])('n=$n rows=$rows T=$T real=$real', async ({ n, rows, T, real, model }) => {
    const rng = mulberry32(9300 + 13 * n + rows + T);
    const circuit = paramCircuit(rng, n, 2 * n + 6, real);
    const input = randomBatch(rng, circuit, rows);
    const schedule = noiseSchedule(circuit, model);
    const opts = { trajectories: T, seed: 17, step: 2, firstSample: 4 };
    const want = trajectoryProbabilitiesCpu(schedule, input, opts);
    const got = await trajectoryProbabilitiesGlobal(gpu, schedule, input, opts, { real: real ? 'auto' : 'never' });
    expectProbabilities(got, want, `n=${n}`);
    // Each trajectory differs from the noiseless state: a wrong draw would show at O(1/T).
    const noiseless = trajectoryProbabilitiesCpu(noiseSchedule(circuit, { p: 0 }), input, opts);
    expect(maxAbsDiff(want, noiseless), 'the noise changes the probabilities').toBeGreaterThan(1e-3 / 2 ** (n - 3));
  });

  it('equals the workgroup kernel, and chunking by a small budget changes nothing', async () => {
    const rng = mulberry32(9400);
    const circuit = paramCircuit(rng, 6, 16, false);
    const input = randomBatch(rng, circuit, 5);
    const schedule = noiseSchedule(circuit, { p: 0.2, p2: 0.25, readout: 0.02 });
    const opts = { trajectories: 5, seed: 3, step: 9 };
    const whole = await trajectoryProbabilitiesGlobal(gpu, schedule, input, opts);
    const workgroup = await trajectoryProbabilitiesGpu(gpu, schedule, input, opts);
    expect(maxAbsDiff(whole, workgroup)).toBeLessThan(1e-6);
    // 3 states of 64 x 4 bytes per chunk: chunks that split a sample's trajectories, several runner calls.
    const chunked = await trajectoryProbabilitiesGlobal(gpu, schedule, input, opts, { budgetBytes: 3 * 64 * 4 });
    expect(maxAbsDiff(chunked, whole)).toBeLessThan(1e-6);
  });

  it('names the limit when one state does not fit a storage binding', async () => {
    const circuit = paramCircuit(mulberry32(5), 2, 3, false);
    const schedule = noiseSchedule(circuit, { p: 0.1 });
    await expect(trajectoryProbabilitiesGlobal(gpu, { ...schedule, circuit: { ...circuit, qubits: 30 } }, { rows: 1, features: [0, 0], params: [0, 0, 0, 0] }, { trajectories: 2 })).rejects.toThrow(/global memory.*at most \d+ qubits/);
  });
});
