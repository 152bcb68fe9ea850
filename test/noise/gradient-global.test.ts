import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { noisyGradientCpu } from '../../src/noise/gradient-cpu.js';
import { noisyGradientGlobal } from '../../src/noise/gradient-global.js';
import { type NoiseModel, noiseSchedule } from '../../src/noise/model.js';
import type { CircuitOutput } from '../../src/sim/backend.js';
import { outputCount } from '../../src/sim/experts.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';
import { paramCircuit, pointsModel, randomBatch } from './helpers.js';

/** f32 against float64: the largest |gpu - cpu| relative to the largest |cpu| entry (at least 1e-2). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1e-2;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / scale;
}

const TOL = 1e-4;

const POINTS = (n: number): NoiseModel => pointsModel(n, 3, 0.03);

describe.skipIf(skipGpu)('noise-aware gradient on the global-memory path against noisyGradientCpu (same draws)', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  const cases: { n: number; rows: number; T: number; real: boolean; output: CircuitOutput; model: NoiseModel }[] = [
    { n: 13, rows: 3, T: 3, real: false, output: { kind: 'experts', experts: 3 }, model: { p: 0.15, p2: 0.25 } },
    { n: 13, rows: 1, T: 4, real: true, output: { kind: 'expectZ' }, model: POINTS(13) },
    { n: 4, rows: 5, T: 5, real: false, output: { kind: 'probabilities' }, model: { p: 0.2, p2: 0.3, readout: 0.05 } },
    { n: 5, rows: 3, T: 7, real: true, output: { kind: 'experts', experts: 4 }, model: POINTS(5) },
  ];

  it.each(cases)('n=$n rows=$rows T=$T real=$real output=$output.kind: parameter and feature gradients', async ({ n, rows, T, real, output, model }) => {
    const rng = mulberry32(9100 + 17 * n + rows + T);
    const circuit = paramCircuit(rng, n, 2 * n + 6, real);
    const input = randomBatch(rng, circuit, rows);
    const up = Array.from({ length: rows * outputCount(n, output) }, () => rng() * 2 - 1);
    const schedule = noiseSchedule(circuit, model);
    const opts = { trajectories: T, seed: 21, step: 4, firstSample: 6 };
    const want = noisyGradientCpu(schedule, input, output, up, opts, undefined, true);
    const got = await noisyGradientGlobal(gpu, schedule, input, output, up, { ...opts, real: real ? 'auto' : 'never', features: true });
    let scale = 0;
    for (const v of want.params) scale = Math.max(scale, Math.abs(v));
    expect(scale, 'a case with a non-trivial gradient').toBeGreaterThan(1e-3);
    // A different draw in any trajectory would move the gradient by O(1/T), far above TOL.
    expect(relErr(got.params, want.params), `gpu ${Array.from(got.params)} cpu ${Array.from(want.params)}`).toBeLessThan(TOL);
    expect(relErr(got.features!, want.features!), 'feature gradients').toBeLessThan(TOL);
  });

  // On a GPU the global adjoint fuses ops into workgroup-memory tiles by default; noise points must
  // end a tile pass, the Paulis running between passes. Forced here with small tiles (n = 7, 3 bits).
  it.each([
    { fuse: 'tiles' as const, model: pointsModel(7, 5, 0), real: true },
    { fuse: 'tiles' as const, model: { p: 0.2, p2: 0.3 }, real: false },
  ])('tile fusion with noise ($model.p, real=$real): the same gradient as the CPU', async ({ fuse, model, real }) => {
    const rng = mulberry32(9300 + (real ? 1 : 0));
    const n = 7;
    const circuit = paramCircuit(rng, n, 24, real);
    const input = randomBatch(rng, circuit, 3);
    const output: CircuitOutput = { kind: 'experts', experts: 4 };
    const up = Array.from({ length: 3 * 4 }, () => rng() * 2 - 1);
    const schedule = noiseSchedule(circuit, model);
    const opts = { trajectories: 3, seed: 5, step: 2 };
    const want = noisyGradientCpu(schedule, input, output, up, opts, undefined, true);
    const got = await noisyGradientGlobal(gpu, schedule, input, output, up, { ...opts, real: real ? 'auto' : 'never', features: true, fuse, tileBits: 3 });
    expect(relErr(got.params, want.params)).toBeLessThan(TOL);
    expect(relErr(got.features!, want.features!)).toBeLessThan(TOL);
  });

  it('chunking by a small memory budget gives the same gradient', async () => {
    const rng = mulberry32(9200);
    const n = 6;
    const circuit = paramCircuit(rng, n, 14, false);
    const input = randomBatch(rng, circuit, 5);
    const output: CircuitOutput = { kind: 'expectZ' };
    const up = Array.from({ length: 5 * n }, () => rng() * 2 - 1);
    const schedule = noiseSchedule(circuit, { p: 0.25, p2: 0.3 });
    const opts = { trajectories: 3, seed: 8, step: 1, features: true };
    const whole = await noisyGradientGlobal(gpu, schedule, input, output, up, opts);
    // Two states of 64 x 8 bytes per trajectory row: 3 rows per chunk, 16 chunks, so several runs of the runner.
    const chunked = await noisyGradientGlobal(gpu, schedule, input, output, up, { ...opts, budgetBytes: 3 * 2 * 64 * 8 + 3 * 4 * 32 });
    expect(relErr(chunked.params, whole.params)).toBeLessThan(1e-5);
    expect(relErr(chunked.features!, whole.features!)).toBeLessThan(1e-5);
    expect(relErr(whole.params, noisyGradientCpu(schedule, input, output, up, opts).params)).toBeLessThan(TOL);
  });

  it('names the limit when one state does not fit a storage binding', async () => {
    const circuit = paramCircuit(mulberry32(3), 2, 3, false);
    const big = { ...circuit, qubits: 30 };
    const schedule = noiseSchedule(circuit, { p: 0.1 });
    await expect(noisyGradientGlobal(gpu, { ...schedule, circuit: big }, { rows: 1, features: [0, 0], params: [0, 0, 0, 0] }, { kind: 'expectZ' }, new Array(30).fill(1), { trajectories: 2 })).rejects.toThrow(/at most \d+ qubits/);
  });
});
