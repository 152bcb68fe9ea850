import { describe, expect, it } from 'vitest';
import { routerCircuit } from '../../src/circuit/builders.js';
import type { Circuit } from '../../src/circuit/types.js';
import type { CircuitOutput } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { gpuForTests, skipGpu } from '../helpers/gpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';

/**
 * The global path measures states over 10 qubits in two stages: sums over chunks of 1024 basis
 * states (shaders/measure_chunks.wgsl, per workgroup or per invocation), then each output from its
 * whole chunks and the probabilities of its unaligned block ends (shaders/measure.wgsl, CHUNKED);
 * or in one ('single'). Every form against the float64 reference, on random
 * circuits with <Z> and expert outputs (block counts that do not divide 2^n: unaligned ends), odd
 * batches; tolerance 2e-6 (f32 states summed in chunks).
 */
describe.skipIf(skipGpu)('two-stage measurement of large states (global path)', () => {
  const gpu = gpuForTests();
  const cpu = new CpuBackend();
  const TOL = 2e-6;

  function batch(rng: () => number, circuit: Circuit, rows: number) {
    return {
      rows,
      features: Array.from({ length: rows * circuit.features }, () => (rng() * 2 - 1) * Math.PI),
      params: Array.from({ length: circuit.params }, () => (rng() * 2 - 1) * Math.PI),
    };
  }

  const outputs = (n: number): CircuitOutput[] => [{ kind: 'expectZ' }, { kind: 'experts', experts: 4 }, { kind: 'experts', experts: 3 }, { kind: 'experts', experts: 7 }, { kind: 'experts', experts: 2 ** (n - 9) + 1 }];
  it.each([
    { n: 11, rows: 3, reduction: 'workgroup' as const, real: true },
    { n: 11, rows: 1, reduction: 'invocation' as const, real: false },
    { n: 12, rows: 5, reduction: 'invocation' as const, real: true },
    { n: 13, rows: 2, reduction: 'workgroup' as const, real: false },
    { n: 13, rows: 3, reduction: 'invocation' as const, real: true },
    { n: 12, rows: 3, reduction: 'single' as const, real: false },
  ])('n=$n rows=$rows stage 1 per $reduction, real=$real: the float64 outputs', async ({ n, rows, reduction, real }) => {
    const rng = mulberry32(300 + 7 * n + rows);
    const circuit = real ? routerCircuit(n, 1) : randomCircuit(rng, { qubits: n, gates: 3 * n, features: n, params: 3 });
    const input = batch(rng, circuit, rows);
    const backend = new WebGpuBackend(gpu(), { path: 'global', global: { measureReduction: reduction } });
    for (const output of outputs(n)) {
      const want = await cpu.evaluate(circuit, input, output);
      const got = await backend.evaluate(circuit, input, output);
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst, `${output.kind} ${output.kind === 'experts' ? output.experts : ''}`).toBeLessThan(TOL);
      if (output.kind === 'experts') {
        // The blocks partition the state: every row's expert probabilities sum to 1.
        for (let r = 0; r < rows; r++) {
          let s = 0;
          for (let e = 0; e < output.experts; e++) s += got[r * output.experts + e];
          expect(Math.abs(s - 1)).toBeLessThan(TOL);
        }
      }
    }
  });
});
