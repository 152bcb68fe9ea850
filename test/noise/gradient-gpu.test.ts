import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { noisyGradientCpu } from '../../src/noise/gradient-cpu.js';
import { noisyGradientGpu } from '../../src/noise/gradient-gpu.js';
import { type NoiseModel, noiseSchedule } from '../../src/noise/model.js';
import { adjointGradient } from '../../src/sim/adjoint-cpu.js';
import type { CircuitOutput } from '../../src/sim/backend.js';
import { outputCount } from '../../src/sim/experts.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';
import { featureCircuit, paramCircuit, randomBatch } from './helpers.js';

/** Largest |a - b| relative to the largest |b| (at least 1). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / scale;
}

const TOL = 1e-4;

describe.skipIf(skipGpu)('noise-aware adjoint gradient on WebGPU against noisyGradientCpu', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  const outputsOf = (n: number): CircuitOutput[] => [{ kind: 'probabilities' }, { kind: 'experts', experts: Math.min(3, 2 ** n) }, { kind: 'expectZ' }];
  const cases: { n: number; rows: number; T: number; real: boolean; output: CircuitOutput; model: NoiseModel }[] = [];
  for (let n = 1; n <= 4; n++) {
    outputsOf(n).forEach((output, i) => {
      const model: NoiseModel =
        i === 1 && n >= 2
          ? { p: 0.25, p2: 0.3, readout: 0.05, placement: { kind: 'points', points: [{ after: -1, wires: [0] }, { after: 2, wires: Array.from({ length: n }, (_, q) => q) }, { after: 5, wires: [0, n - 1], pair: true }] } }
          : { p: 0.2, p2: 0.3, readout: i === 2 ? 0.04 : 0 };
      cases.push({ n, rows: 2 * ((n + i) % 3) + 1, T: 3 + ((2 * n + i) % 6), real: (n + i) % 2 === 0, output, model });
    });
  }

  it.each(cases)('n=$n rows=$rows T=$T real=$real output=$output.kind', async ({ n, rows, T, real, output, model }) => {
    const rng = mulberry32(7000 + 31 * n + rows + T);
    const circuit = paramCircuit(rng, n, 4 * n + 8, real);
    const input = randomBatch(rng, circuit, rows);
    const up = Array.from({ length: rows * outputCount(n, output) }, () => rng() * 2 - 1);
    const schedule = noiseSchedule(circuit, model);
    const opts = { trajectories: T, seed: 13, step: 3, firstSample: 5 };
    const want = noisyGradientCpu(schedule, input, output, up, opts, undefined, true);
    const got = await noisyGradientGpu(gpu, schedule, input, output, up, { ...opts, real: real ? 'auto' : 'never', features: true });
    let scale = 0;
    for (const v of want.params) scale = Math.max(scale, Math.abs(v));
    expect(scale, 'a case with a non-trivial gradient').toBeGreaterThan(1e-3);
    // A different draw in any trajectory would move the gradient by O(1/T), far above TOL.
    expect(relErr(got.params, want.params), `gpu ${Array.from(got.params)} cpu ${Array.from(want.params)}`).toBeLessThan(TOL);
    expect(got.features?.length).toBe(rows * circuit.features);
    expect(relErr(got.features!, want.features!), `features: gpu ${Array.from(got.features!)} cpu ${Array.from(want.features!)}`).toBeLessThan(TOL);
    // Without features the parameter gradient is the same.
    const paramsOnly = await noisyGradientGpu(gpu, schedule, input, output, up, { ...opts, real: real ? 'auto' : 'never' });
    expect(paramsOnly.features).toBeUndefined();
    expect(relErr(paramsOnly.params, want.params)).toBeLessThan(TOL);
  });

  // The quantum experts' form: no trainable parameters, every angle an input column.
  it.each([
    { n: 2, real: true, path: 'workgroup' as const },
    { n: 3, real: false, path: 'workgroup' as const },
    { n: 3, real: true, path: 'global' as const },
  ])('feature gradients of a circuit without parameters, n=$n real=$real on the $path path', async ({ n, real, path }) => {
    const rng = mulberry32(8500 + n + (real ? 1 : 0));
    const circuit = featureCircuit(rng, n, real);
    const input = randomBatch(rng, circuit, 7);
    const output: CircuitOutput = { kind: 'expectZ' };
    const up = Array.from({ length: 7 * n }, () => rng() * 2 - 1);
    const schedule = noiseSchedule(circuit, { p: 0.1, p2: 0.15, readout: 0.02 });
    const opts = { trajectories: 6, seed: 21, step: 2 };
    const want = noisyGradientCpu(schedule, input, output, up, opts, undefined, true);
    const got = await noisyGradientGpu(gpu, schedule, input, output, up, { ...opts, real: real ? 'auto' : 'never', features: true, path });
    expect(got.params.length).toBe(0);
    let scale = 0;
    for (const v of want.features!) scale = Math.max(scale, Math.abs(v));
    expect(scale, 'a case with a non-trivial gradient').toBeGreaterThan(1e-3);
    expect(relErr(got.features!, want.features!), `gpu ${Array.from(got.features!)} cpu ${Array.from(want.features!)}`).toBeLessThan(TOL);
  });

  // Wide states: several pairs per invocation (pairs > group size) and a full-group reduction.
  it.each([
    { n: 8, real: false },
    { n: 10, real: true },
    { n: 10, real: false },
  ])('n=$n real=$real (large states)', async ({ n, real }) => {
    const rng = mulberry32(8000 + n + (real ? 1 : 0));
    const circuit = paramCircuit(rng, n, 24, real);
    const input = randomBatch(rng, circuit, 3);
    const output: CircuitOutput = { kind: 'expectZ' };
    const up = Array.from({ length: 3 * n }, () => rng() * 2 - 1);
    const schedule = noiseSchedule(circuit, { p: 0.15, p2: 0.2, readout: 0.03 });
    const opts = { trajectories: 3, seed: 4 };
    const want = noisyGradientCpu(schedule, input, output, up, opts).params;
    const got = (await noisyGradientGpu(gpu, schedule, input, output, up, { ...opts, real: real ? 'auto' : 'never' })).params;
    expect(relErr(got, want), `gpu ${Array.from(got)} cpu ${Array.from(want)}`).toBeLessThan(TOL);
  });

  it('p = 0 equals the noiseless adjoint gradient', async () => {
    const rng = mulberry32(91);
    const circuit = paramCircuit(rng, 3, 14, false);
    const input = randomBatch(rng, circuit, 5);
    for (const output of outputsOf(3)) {
      const up = Array.from({ length: 5 * outputCount(3, output) }, () => rng() * 2 - 1);
      const want = adjointGradient(circuit, input, output, up, false).params;
      const got = (await noisyGradientGpu(gpu, noiseSchedule(circuit, { p: 0 }), input, output, up, { trajectories: 3 })).params;
      expect(relErr(got, want)).toBeLessThan(TOL);
    }
  });

  it('does not depend on the batch split (chunks) and matches the CPU with firstSample', async () => {
    const rng = mulberry32(92);
    const circuit = paramCircuit(rng, 2, 10, false);
    const input = randomBatch(rng, circuit, 9);
    const up = Array.from({ length: 9 * 4 }, () => rng() * 2 - 1);
    const schedule = noiseSchedule(circuit, { p: 0.3, readout: 0.02 });
    const opts = { trajectories: 5, seed: 2, step: 7 };
    const whole = await noisyGradientGpu(gpu, schedule, input, { kind: 'probabilities' }, up, { ...opts, features: true });
    const chunked = await noisyGradientGpu(gpu, schedule, input, { kind: 'probabilities' }, up, { ...opts, features: true, maxChunkBytes: 64 });
    expect(relErr(chunked.params, whole.params)).toBeLessThan(1e-5);
    expect(relErr(chunked.features!, whole.features!)).toBeLessThan(1e-5);
    const cpu = noisyGradientCpu(schedule, input, { kind: 'probabilities' }, up, opts, undefined, true);
    expect(relErr(whole.params, cpu.params)).toBeLessThan(TOL);
    expect(relErr(whole.features!, cpu.features!)).toBeLessThan(TOL);
  });

  it('gives clear errors', async () => {
    const circuit = randomCircuit(mulberry32(1), { qubits: 2, gates: 4, params: 1 });
    const schedule = noiseSchedule(circuit, { p: 0.1 });
    const input = { rows: 1, params: [0.3] };
    await expect(noisyGradientGpu(gpu, schedule, input, { kind: 'expectZ' }, [1], { trajectories: 2 })).rejects.toThrow(/dLdOut/);
    await expect(noisyGradientGpu(gpu, schedule, input, { kind: 'expectZ' }, [1, 2], { trajectories: 0 })).rejects.toThrow(/trajectories/);
    const big = randomCircuit(mulberry32(2), { qubits: 14, gates: 3, params: 1 });
    await expect(noisyGradientGpu(gpu, noiseSchedule(big, { p: 0.1 }), input, { kind: 'expectZ' }, new Array(14).fill(1), { trajectories: 2, path: 'workgroup' })).rejects.toThrow(/workgroup memory.*at most \d+ qubits/);
  });
});
