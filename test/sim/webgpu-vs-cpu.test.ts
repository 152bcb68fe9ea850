import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Circuit, GateName } from '../../src/circuit/types.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';
import { routerCircuit } from '../../src/circuit/builders.js';
import { PASS_CUBE2, PASS_CUBE3, PASS_DIAGONAL } from '../../src/sim/passes.js';
import { compileCircuit } from '../../src/sim/compile.js';

/** f32 state vectors against the float64 reference: absolute error on probabilities and amplitudes. */
const TOL = 1e-5;

const cpu = new CpuBackend();

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomBatch(rng: () => number, circuit: Circuit, rows: number) {
  return {
    rows,
    features: Array.from({ length: rows * circuit.features }, () => (rng() * 2 - 1) * 4 * Math.PI),
    params: Array.from({ length: circuit.params }, () => (rng() * 2 - 1) * 2 * Math.PI),
  };
}

// Random circuits of every size, real and complex, on both paths against the float64 reference
// (probabilities, experts, states) are in the conformance suite (test/sim/conformance.test.ts).

describe.skipIf(skipGpu)('WebGPU backend against the float64 CPU reference', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  it('keeps 1e-5 through 80 per-sample rotations of large angles (precise sin/cos)', async () => {
    const rng = mulberry32(5);
    const ops = Array.from({ length: 80 }, (_, k) => ({
      gate: (['rx', 'ry', 'rz', 'h'] as const)[k % 4],
      wires: [k % 2],
      angle: k % 4 === 3 ? undefined : { kind: 'feature' as const, index: k % 3 },
    }));
    const circuit: Circuit = { qubits: 2, features: 3, params: 0, ops };
    const input = { rows: 64, features: Array.from({ length: 64 * 3 }, () => (rng() * 2 - 1) * 50) };
    const want = await cpu.probabilities(circuit, input);
    for (const path of ['fused', 'global'] as const) {
      const got = await new WebGpuBackend(gpu, { path }).probabilities(circuit, input);
      expect(maxAbsDiff(got, want)).toBeLessThan(TOL);
    }
  });

  it('groups gates into cube and diagonal passes and keeps 1e-5 (router circuits, diagonal runs)', async () => {
    const rng = mulberry32(21);
    const oneQubit: GateName[] = ['h', 'x', 'y', 'rx', 'ry', 'z', 's', 't', 'rz', 'cz', 'crz'];
    const circuits: Circuit[] = [routerCircuit(3, 2), routerCircuit(7, 3), routerCircuit(10, 2)];
    for (const n of [2, 4, 6]) circuits.push(randomCircuit(rng, { qubits: n, gates: 40, features: n, params: 4, gateSet: oneQubit }));
    const kinds = new Set<number>();
    for (const circuit of circuits) {
      const passes = compileCircuit(circuit).fused.passes;
      for (let i = 0; i < passes.length; i += 4) kinds.add(passes[i]);
      const input = randomBatch(rng, circuit, 5);
      const want = await cpu.probabilities(circuit, input);
      for (const real of ['auto', 'never'] as const) {
        const got = await new WebGpuBackend(gpu, { path: 'fused', real }).probabilities(circuit, input);
        expect(maxAbsDiff(got, want)).toBeLessThan(TOL);
      }
    }
    expect([PASS_CUBE2, PASS_CUBE3, PASS_DIAGONAL].every((k) => kinds.has(k))).toBe(true);
  });

  it('gives the same answer for every fused workgroup shape (several samples per workgroup, few invocations per sample)', async () => {
    const rng = mulberry32(33);
    for (const n of [3, 6]) {
      const circuit = randomCircuit(rng, { qubits: n, gates: 30, features: n, params: 3 });
      const input = randomBatch(rng, circuit, 19);
      const want = await cpu.probabilities(circuit, input);
      for (const fused of [{ threadsPerSample: 1, groupSize: 64 }, { threadsPerSample: 4, groupSize: 32, grouping: false }, { threadsPerSample: 2 ** (n - 1), groupSize: 256 }]) {
        const got = await new WebGpuBackend(gpu, { path: 'fused', fused }).probabilities(circuit, input);
        expect(maxAbsDiff(got, want)).toBeLessThan(TOL);
      }
    }
  });

  it('splits batches larger than one chunk and gets the same answer', async () => {
    const rng = mulberry32(9);
    const circuit = randomCircuit(rng, { qubits: 4, gates: 20, features: 4, params: 3 });
    const input = randomBatch(rng, circuit, 1001);
    const want = await cpu.probabilities(circuit, input);
    for (const path of ['fused', 'global'] as const) {
      // 4 KiB chunks: tens of chunks, the last one partial.
      const got = await new WebGpuBackend(gpu, { path, maxChunkBytes: 4096 }).probabilities(circuit, input);
      expect(maxAbsDiff(got, want)).toBeLessThan(TOL);
    }
  });

  it('reuses a prepared runner across parameter updates', async () => {
    const rng = mulberry32(11);
    const circuit = randomCircuit(rng, { qubits: 5, gates: 25, features: 5, params: 6 });
    const backend = new WebGpuBackend(gpu);
    const runner = await backend.prepare(circuit, 33, { kind: 'probabilities' });
    try {
      for (let step = 0; step < 3; step++) {
        const input = randomBatch(rng, circuit, 33);
        runner.setFeatures(Float32Array.from(input.features), 33);
        runner.setParams(input.params);
        runner.dispatch();
        const { readFloats } = await import('../../src/gpu/buffers.js');
        const got = await readFloats(gpu.device, runner.output, 33 * runner.outputBytesPerRow);
        expect(maxAbsDiff(got, await cpu.probabilities(circuit, input))).toBeLessThan(TOL);
      }
    } finally {
      runner.destroy();
    }
  });
});
