import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { angleEmbedding, routerCircuit } from '../../src/circuit/builders.js';
import type { Circuit } from '../../src/circuit/types.js';
import type { GpuContext } from '../../src/gpu/context.js';
import type { Backend } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';

/** Tolerances: float64 reference to 1e-12, f32 GPU kernels to 1e-6. */
const bell: Circuit = { qubits: 2, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }, { gate: 'cnot', wires: [0, 1] }] };
const ghz = (n: number): Circuit => ({
  qubits: n,
  features: 0,
  params: 0,
  ops: [{ gate: 'h', wires: [0] }, ...Array.from({ length: n - 1 }, (_, i) => ({ gate: 'cnot' as const, wires: [i, i + 1] }))],
});
const uniform = (n: number): Circuit => ({ qubits: n, features: 0, params: 0, ops: Array.from({ length: n }, (_, i) => ({ gate: 'h' as const, wires: [i] })) });

function suite(name: string, makeBackend: () => Backend, tol: number) {
  it(`${name}: Bell state`, async () => {
    const p = await makeBackend().probabilities(bell, { rows: 1 });
    expect(Array.from(p).map((x) => +x.toFixed(6))).toEqual([0.5, 0, 0, 0.5]);
  });

  it(`${name}: GHZ states and uniform superpositions`, async () => {
    for (const n of [3, 5, 7]) {
      const p = await makeBackend().probabilities(ghz(n), { rows: 1 });
      p.forEach((x, k) => expect(Math.abs(x - (k === 0 || k === 2 ** n - 1 ? 0.5 : 0))).toBeLessThan(tol));
      const u = await makeBackend().probabilities(uniform(n), { rows: 1 });
      u.forEach((x) => expect(Math.abs(x - 2 ** -n)).toBeLessThan(tol));
    }
  });

  it(`${name}: qubit 0 is the most significant bit`, async () => {
    const p = await makeBackend().probabilities({ qubits: 3, features: 0, params: 0, ops: [{ gate: 'x', wires: [0] }] }, { rows: 1 });
    expect(p[0b100]).toBeCloseTo(1, 6);
  });

  it(`${name}: the study's embedding gives prod cos(x_i/2)|0> + sin(x_i/2)|1>`, async () => {
    const xs = [0.3, -1.2, 2.5, 3.1, -0.7, 1.9, 0.05];
    const rows = 2;
    const n = 3;
    const circuit: Circuit = { qubits: n, features: n, params: 0, ops: angleEmbedding(n) };
    const features = xs.slice(0, rows * n);
    const p = await makeBackend().probabilities(circuit, { rows, features });
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < 2 ** n; k++) {
        let amp = 1;
        for (let q = 0; q < n; q++) {
          const bit = (k >> (n - 1 - q)) & 1;
          const x = features[r * n + q];
          amp *= bit ? Math.sin(x / 2) : Math.cos(x / 2);
        }
        expect(Math.abs(p[r * 2 ** n + k] - amp * amp)).toBeLessThan(tol);
      }
    }
  });

  it(`${name}: router with zero angles leaves the embedding's probabilities (CZ and RY(0) are diagonal / identity)`, async () => {
    const circuit = routerCircuit(2, 3);
    const features = [0.4, 1.3];
    const p = await makeBackend().probabilities(circuit, { rows: 1, features, params: new Array(circuit.params).fill(0) });
    const c0 = Math.cos(0.2), s0 = Math.sin(0.2), c1 = Math.cos(0.65), s1 = Math.sin(0.65);
    const want = [c0 * c1, c0 * s1, s0 * c1, s0 * s1].map((a) => a * a);
    p.forEach((x, k) => expect(Math.abs(x - want[k])).toBeLessThan(tol));
  });

  it(`${name}: expert blocks: 4 experts on 3 qubits are the values of qubits 0 and 1`, async () => {
    const circuit: Circuit = { qubits: 3, features: 0, params: 0, ops: [{ gate: 'x', wires: [1] }, { gate: 'h', wires: [2] }] };
    const e = await makeBackend().expertProbabilities(circuit, { rows: 1 }, 4);
    expect(Array.from(e).map((x) => +x.toFixed(6))).toEqual([0, 1, 0, 0]);
  });
}

describe('CPU reference: known states', () => {
  suite('cpu', () => new CpuBackend(), 1e-12);
});

describe.skipIf(skipGpu)('WebGPU: known states', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());
  suite('webgpu', () => new WebGpuBackend(gpu), 1e-6);
});
