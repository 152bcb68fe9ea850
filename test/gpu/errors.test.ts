import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { routerCircuit } from '../../src/circuit/builders.js';
import type { Circuit } from '../../src/circuit/types.js';
import { QmoeGpuError, QmoeGpuMemoryError, QmoeInputError, QmoeNumericError } from '../../src/errors.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { densityProbabilitiesGpu } from '../../src/noise/density-gpu.js';
import { noisyGradientGpu } from '../../src/noise/gradient-gpu.js';
import { noiseSchedule } from '../../src/noise/model.js';
import { trajectoryProbabilitiesGpu } from '../../src/noise/trajectories-gpu.js';
import { makeSpec } from '../../src/moe/models.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { probeGlobalQubits } from '../../src/sim/statevector-gpu.js';
import { createWebGpuEngine } from '../../src/train/gpu-engine.js';
import { maxAbsDiff, relDiff } from '../helpers/conformance.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';

/**
 * GPU failures become errors, never numbers: allocations over a cap (GpuContext.maxAllocationBytes,
 * the same path as a driver's out-of-memory) split the batch where the code chunks, or fail with a
 * QmoeGpuMemoryError naming the buffer and the limit; a device destroyed during a call is a
 * QmoeGpuError; NaN or infinity in a result is a QmoeNumericError; inputs beyond float32 are refused.
 */
function batch(rng: () => number, circuit: Circuit, rows: number) {
  return {
    rows,
    features: Array.from({ length: rows * circuit.features }, () => (rng() * 2 - 1) * 4),
    params: Array.from({ length: circuit.params }, () => (rng() * 2 - 1) * 3),
  };
}

const cpu = new CpuBackend();

describe.skipIf(skipGpu)('GPU errors', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterEach(() => {
    gpu.maxAllocationBytes = gpu.limits.maxBufferSize;
  });
  afterAll(() => gpu?.destroy());

  it('splits a batch whose buffers are over the allocation cap, with the same results', async () => {
    const rng = mulberry32(1);
    const circuit = randomCircuit(rng, { qubits: 8, gates: 20, features: 3, params: 4 });
    const input = batch(rng, circuit, 40);
    const want = await cpu.probabilities(circuit, input);
    // 40 rows of 2 KiB complex states and 1 KiB of probabilities over a 16 KiB cap: chunks of 5 rows.
    gpu.maxAllocationBytes = 16 * 1024;
    for (const path of ['global', 'fused'] as const) {
      const got = await new WebGpuBackend(gpu, { path, real: 'never' }).probabilities(circuit, input);
      expect(maxAbsDiff(got, want), path).toBeLessThan(1e-5);
    }
    // 200 rows: 4.7 KiB of trig table over a 1.5 KiB cap (the matrix and derivative table, about
    // 1 KiB for this circuit, still fits).
    const many = batch(rng, circuit, 200);
    const up = Array.from({ length: 200 * 4 }, () => rng() * 2 - 1);
    gpu.maxAllocationBytes = 1536;
    const g = await new WebGpuBackend(gpu).gradient(circuit, many, { kind: 'experts', experts: 4 }, up, { features: true });
    const wantG = await cpu.gradient(circuit, many, { kind: 'experts', experts: 4 }, up, { features: true });
    expect(relDiff(g.params, wantG.params)).toBeLessThan(1e-4);
    expect(relDiff(g.features!, wantG.features!)).toBeLessThan(1e-4);
  });

  it('fails with a QmoeGpuMemoryError naming the buffer and the cap when one row does not fit', async () => {
    const circuit: Circuit = { qubits: 10, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }, { gate: 's', wires: [3] }] };
    gpu.maxAllocationBytes = 4096;
    const err = await new WebGpuBackend(gpu, { path: 'global' }).probabilities(circuit, { rows: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(QmoeGpuMemoryError);
    expect(err.message).toMatch(/out of GPU memory: the 8 KiB "states" buffer of the global circuit runner \(10 qubits, 1 row\) is over the allocation cap .* of 4 KiB; even one row does not fit/);
    gpu.maxAllocationBytes = 64;
    await expect(createWebGpuEngine(gpu, makeSpec({ router: 'quantum', preset: 'paper', features: 2, classes: 2 }), { lr: 0.1, capacity: 64 })).rejects.toThrow(QmoeGpuMemoryError);
  });

  it('splits the noise paths under the cap, with the same results', async () => {
    const rng = mulberry32(2);
    const circuit = randomCircuit(rng, { qubits: 3, gates: 12, features: 3, params: 4 });
    const input = batch(rng, circuit, 30);
    const schedule = noiseSchedule(circuit, { p: 0.1, p2: 0.15, readout: 0.02 });
    const draws = { trajectories: 6, seed: 3, step: 2 };
    const up = Array.from({ length: 30 * 3 }, () => rng() * 2 - 1);
    const whole = {
      density: await densityProbabilitiesGpu(gpu, schedule, input),
      trajectories: await trajectoryProbabilitiesGpu(gpu, schedule, input, draws),
      gradient: (await noisyGradientGpu(gpu, schedule, input, { kind: 'expectZ' }, up, draws)).params,
    };
    // 30 rows x 6 trajectories of 4 parameter gradients (2.8 KiB) and more over a 1 KiB cap.
    gpu.maxAllocationBytes = 1024;
    expect(maxAbsDiff(await densityProbabilitiesGpu(gpu, schedule, input), whole.density)).toBeLessThan(1e-6);
    expect(maxAbsDiff(await trajectoryProbabilitiesGpu(gpu, schedule, input, draws), whole.trajectories)).toBe(0);
    expect(relDiff((await noisyGradientGpu(gpu, schedule, input, { kind: 'expectZ' }, up, draws)).params, whole.gradient)).toBeLessThan(1e-5);
    gpu.maxAllocationBytes = 256;
    await expect(densityProbabilitiesGpu(gpu, schedule, input)).rejects.toThrow(/out of GPU memory: .*even one row does not fit/);
  });

  // The case of the issue: a 1 GiB state on an adapter whose maxBufferSize is 1 GiB (SwiftShader
  // refuses the allocation at once). Where the allocation succeeds the numbers must be right.
  it.each([
    { name: '27 qubits complex', circuit: { qubits: 27, features: 0, params: 0, ops: [{ gate: 'ry', wires: [0], angle: { kind: 'const', value: 0.3 } }, { gate: 'rz', wires: [0], angle: { kind: 'const', value: 0.4 } }, { gate: 'x', wires: [26] }] } as Circuit },
    { name: '28 qubits real', circuit: { qubits: 28, features: 0, params: 0, ops: [{ gate: 'ry', wires: [0], angle: { kind: 'const', value: 0.3 } }, { gate: 'x', wires: [27] }] } as Circuit },
  ])('$name: the right expert probabilities or an out-of-memory error, never zeros', async ({ circuit }) => {
    const state = 2 ** circuit.qubits * (circuit.qubits === 28 ? 4 : 8);
    if (state > Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize)) return; // refused up front (validation tests)
    const got = await new WebGpuBackend(gpu).expertProbabilities(circuit, { rows: 1 }, 2).catch((e) => e);
    if (got instanceof Error) {
      expect(got).toBeInstanceOf(QmoeGpuMemoryError);
      expect(got.message).toMatch(/out of GPU memory: the 1 GiB "(states|outputs)" buffer .*maxBufferSize is 1 GiB/);
    } else {
      const p0 = Math.cos(0.15) ** 2;
      expect(maxAbsDiff(got, [p0, 1 - p0])).toBeLessThan(1e-5);
    }
  });

  it('probes the largest state buffer the device allocates (doctor)', async () => {
    gpu.maxAllocationBytes = 2 ** 20;
    expect(await probeGlobalQubits(gpu, false, 30)).toBe(17);
    expect(await probeGlobalQubits(gpu, true, 30)).toBe(18);
    expect(await probeGlobalQubits(gpu, true, 12)).toBe(12);
  });

  it('refuses inputs beyond float32, naming them, and turns a non-finite result into a QmoeNumericError', async () => {
    const circuit = routerCircuit(2, 1);
    const backend = new WebGpuBackend(gpu);
    const input = { rows: 1, features: [0.1, 0.2], params: [0.3, 0.4] };
    const refused = async (p: Promise<unknown>, argument: RegExp) => {
      const e = (await p.catch((x: unknown) => x)) as QmoeInputError;
      expect(e).toBeInstanceOf(QmoeInputError);
      expect(e.argument).toMatch(argument);
      expect(e.message).toMatch(/float32/);
    };
    await refused(backend.probabilities(circuit, { ...input, features: [0.1, 1e39] }), /input\.features\[row 0, column 1\]/);
    await refused(backend.probabilities(circuit, { ...input, params: [-1e39, 0] }), /input\.params\[0\]/);
    await refused(backend.gradient(circuit, input, { kind: 'expectZ' }, [1e39, 0]), /dLdOut\[row 0, output 0\]/);
    // Within float32, but 2 w psi overflows it in the adjoint sweep.
    await expect(backend.gradient(circuit, input, { kind: 'expectZ' }, [3e38, 3e38])).rejects.toThrow(QmoeNumericError);
    // The float64 reference overflows too, with weights near its own limit.
    await expect(cpu.gradient(circuit, input, { kind: 'expectZ' }, [1.7e308, -1.7e308])).rejects.toThrow(/gradient with respect to params\[\d\] is (NaN|-?Infinity)/);
  });

  it('turns a device destroyed during a call into a QmoeGpuError that says so', async () => {
    const own = await testGpu();
    const rng = mulberry32(3);
    const circuit = randomCircuit(rng, { qubits: 6, gates: 30, features: 2, params: 3 });
    const pending = new WebGpuBackend(own, { path: 'global' }).probabilities(circuit, batch(rng, circuit, 2000));
    setTimeout(() => own.destroy(), 0);
    const err = await pending.catch((e) => e);
    expect(err).toBeInstanceOf(QmoeGpuError);
    expect(err.message).toMatch(/lost|destroyed/);
    expect(err.message).not.toMatch(/^$/);
  });
});
