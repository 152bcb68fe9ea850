import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Circuit } from '../../src/circuit/types.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { densityProbabilitiesCpu } from '../../src/noise/density-cpu.js';
import { noiseSchedule } from '../../src/noise/model.js';
import { trajectoryProbabilitiesCpu } from '../../src/noise/trajectories-cpu.js';
import { densityProbabilitiesGpu, densityShape } from '../../src/noise/density-gpu.js';
import { trajectoryProbabilitiesGpu } from '../../src/noise/trajectories-gpu.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';
import { GATES } from '../../src/circuit/gates.js';
import type { GateName } from '../../src/circuit/types.js';
import { maxAbsDiff, randomBatch, randomNoisyCase } from './helpers.js';

/** f32 kernels against the float64 reference, absolute error on probabilities (as the pure-state tests). */
const TOL = 1e-5;
const REAL_GATES = (Object.keys(GATES) as GateName[]).filter((g) => GATES[g].real);

describe.skipIf(skipGpu)('noise kernels on WebGPU against the float64 CPU reference', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  // n = 1..5 on both paths with odd batches; n = 6 fills 32 KiB of workgroup memory; n = 7 global only.
  const densityCases: { n: number; rows: number; path: 'fused' | 'global' }[] = [];
  for (let n = 1; n <= 5; n++) for (const path of ['fused', 'global'] as const) densityCases.push({ n, rows: n % 2 === 1 ? 3 : 5, path });
  densityCases.push({ n: 2, rows: 257, path: 'fused' }, { n: 6, rows: 3, path: 'global' }, { n: 7, rows: 1, path: 'global' });

  it.each(densityCases)('density matrix n=$n rows=$rows path=$path', async ({ n, rows, path }) => {
    const { circuit, input, model } = randomNoisyCase(1000 + 10 * n + rows + (path === 'global' ? 5 : 0), n, 3 * n + 5, rows);
    const schedule = noiseSchedule(circuit, model);
    const want = densityProbabilitiesCpu(schedule, input);
    const got = await densityProbabilitiesGpu(gpu, schedule, input, { path });
    expect(maxAbsDiff(got, want)).toBeLessThan(TOL);
  });

  it('takes the fused path exactly when rho fits in workgroup memory', () => {
    // (n = 6 fills 32 KiB; not run here: SwiftShader takes ~17 s to build that pipeline.)
    const storage = gpu.limits.maxComputeWorkgroupStorageSize;
    for (let n = 1; n <= 8; n++) expect(densityShape(gpu, n).fused).toBe(4 ** n * 8 <= storage);
    expect(densityShape(gpu, 2, 'global').fused).toBe(false);
  });

  it('density matrix: p = 0 is the pure state, p = 3/4 mixes, batches split into chunks', async () => {
    const rng = mulberry32(5);
    const circuit = randomCircuit(rng, { qubits: 3, gates: 15, features: 3, params: 2 });
    const input = randomBatch(rng, circuit, 101);
    const pure = await new CpuBackend().probabilities(circuit, input);
    const got = await densityProbabilitiesGpu(gpu, noiseSchedule(circuit, { p: 0 }), input, { maxChunkBytes: 2048 });
    expect(maxAbsDiff(got, pure)).toBeLessThan(TOL);
    const all = Array.from({ length: 3 }, (_, i) => i);
    const mixed = await densityProbabilitiesGpu(gpu, noiseSchedule(circuit, { p: 0.75, placement: { kind: 'points', points: [{ after: 14, wires: all }] } }), input);
    for (const v of mixed) expect(Math.abs(v - 1 / 8)).toBeLessThan(TOL);
  });

  // Same counters -> same Pauli draws on both: any differing draw would move a probability by
  // about 1/T = 0.02, far above the f32 tolerance.
  const trajCases: { n: number; rows: number; real: boolean; T: number }[] = [
    { n: 1, rows: 3, real: false, T: 50 },
    { n: 2, rows: 5, real: true, T: 50 },
    { n: 3, rows: 3, real: false, T: 300 },
    { n: 4, rows: 7, real: true, T: 33 },
    { n: 5, rows: 3, real: false, T: 50 },
    { n: 8, rows: 1, real: false, T: 5 },
  ];
  it.each(trajCases)('trajectories n=$n rows=$rows real=$real T=$T: the same draws as the CPU', async ({ n, rows, real, T }) => {
    const rng = mulberry32(2000 + n);
    const circuit = randomCircuit(rng, { qubits: n, gates: 3 * n + 5, features: n, params: 3, gateSet: real ? REAL_GATES : undefined });
    const input = randomBatch(rng, circuit, rows);
    const schedule = noiseSchedule(circuit, { p: 0.2, p2: 0.3, readout: 0.03 });
    const opts = { trajectories: T, seed: 11, step: 4 };
    const want = trajectoryProbabilitiesCpu(schedule, input, opts);
    const got = await trajectoryProbabilitiesGpu(gpu, schedule, input, opts, { real: real ? 'auto' : 'never' });
    expect(maxAbsDiff(got, want)).toBeLessThan(TOL);
  });

  it('trajectories do not depend on the batch split (chunks and firstSample)', async () => {
    const { circuit, input, model } = randomNoisyCase(3000, 3, 12, 41);
    const schedule = noiseSchedule(circuit, model);
    const opts = { trajectories: 40, seed: 5 };
    const whole = await trajectoryProbabilitiesGpu(gpu, schedule, input, opts);
    const chunked = await trajectoryProbabilitiesGpu(gpu, schedule, input, opts, { maxChunkBytes: 256 });
    expect(maxAbsDiff(chunked, whole)).toBe(0);
    const tail = { rows: 21, features: input.features.slice(20 * 3), params: input.params };
    const part = await trajectoryProbabilitiesGpu(gpu, schedule, tail, { ...opts, firstSample: 20 });
    expect(maxAbsDiff(part, whole.subarray(20 * 8))).toBe(0);
    const cpuTail = trajectoryProbabilitiesCpu(schedule, tail, { ...opts, firstSample: 20 });
    expect(maxAbsDiff(part, cpuTail)).toBeLessThan(TOL);
  });

  it('trajectories converge to the GPU density matrix within 5 sigma (n = 3, T = 4000)', async () => {
    const { circuit, input, model } = randomNoisyCase(3100, 3, 14, 3);
    const schedule = noiseSchedule(circuit, model);
    const exact = await densityProbabilitiesGpu(gpu, schedule, input);
    const T = 4000;
    const mean = await trajectoryProbabilitiesGpu(gpu, schedule, input, { trajectories: T, seed: 1 });
    for (let i = 0; i < exact.length; i++) {
      const p = exact[i];
      expect(Math.abs(mean[i] - p)).toBeLessThanOrEqual(5 * Math.sqrt(Math.max(0, p * (1 - p)) / T) + 1e-5);
    }
  });

  it('gives clear errors beyond the limits', async () => {
    const big: Circuit = { qubits: 12, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }] };
    await expect(densityProbabilitiesGpu(gpu, noiseSchedule(big, { p: 0.1 }), { rows: 1 })).rejects.toThrow(/density-matrix path \(WebGPU\).*at most 11 qubits; use trajectories/);
    const huge: Circuit = { qubits: 20, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }] };
    await expect(trajectoryProbabilitiesGpu(gpu, noiseSchedule(huge, { p: 0.1 }), { rows: 1 }, { trajectories: 2 }, { path: 'fused' })).rejects.toThrow(/trajectories keep one .* state in workgroup memory/);
    // 'auto' runs such a circuit in global memory; beyond one storage binding it names that limit.
    const beyond: Circuit = { qubits: 30, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }] };
    await expect(trajectoryProbabilitiesGpu(gpu, noiseSchedule(beyond, { p: 0.1 }), { rows: 1 }, { trajectories: 2 })).rejects.toThrow(/trajectories in global memory .* at most \d+ qubits/);
    await expect(densityProbabilitiesGpu(gpu, noiseSchedule(big, { p: 0.1 }), { rows: 1 }, { path: 'fused' })).rejects.toThrow(/qubits/);
  });
});
