import { describe, expect, it } from 'vitest';
import type { Circuit } from '../../src/circuit/types.js';
import { FastCpuBackend } from '../../src/cpu/backend.js';
import { makeSpec, modelCircuit, routerOutput } from '../../src/moe/models.js';
import type { CircuitOutput } from '../../src/sim/backend.js';
import { QmoeNumericError } from '../../src/errors.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { randomCircuit } from '../helpers/random.js';
import { ALL_GATES, REAL_GATES, gradientTestCircuit, mulberry32, randomBatch } from '../sim/adjoint-circuits.js';

/**
 * The fast CPU backend against the float64 reference: random circuits over every gate, odd batch
 * sizes, chunks of 3 rows (so every batch spans several chunks and a short last one), every block
 * size, both precisions. Tolerances: 1e-5 on probabilities and amplitudes in float32, 1e-10 in
 * float64; gradients 1e-4 (float32) and 1e-9 (float64) absolute.
 */
const ref = new CpuBackend();
const TOL = { f32: 1e-5, f64: 1e-10 } as const;
const GRAD_TOL = { f32: 1e-4, f64: 1e-9 } as const;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(b.length).toBe(a.length);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

function outputsFor(n: number): CircuitOutput[] {
  return [{ kind: 'probabilities' }, { kind: 'expectZ' }, { kind: 'experts', experts: Math.max(1, 2 ** n - 1) }];
}

const SETUPS = [
  { precision: 'f32', kernels: 'wasm' },
  { precision: 'f32', kernels: 'js' },
  { precision: 'f64', kernels: 'js' },
] as const;

describe.each(SETUPS)('FastCpuBackend $precision ($kernels kernels) against the float64 reference', ({ precision, kernels }) => {
  it('runs the kernels it was asked for', () => {
    expect(new FastCpuBackend({ precision, kernels }).kernels).toBe(kernels);
  });

  it.each([1, 2, 3, 4])('forward: random circuits over every gate and the real gates, maxBlock %i', async (maxBlock) => {
    const rng = mulberry32(100 + maxBlock);
    const fast = new FastCpuBackend({ precision, kernels, maxBlock, chunkRows: 5 });
    for (const n of [1, 2, 3, 5]) {
      for (const gateSet of [ALL_GATES, REAL_GATES]) {
        const c = randomCircuit(rng, { qubits: n, gates: 6 * n + 2, features: 3, params: 4, gateSet });
        const batch = randomBatch(rng, c, 7);
        expect(maxDiff(await ref.states(c, batch), await fast.states(c, batch))).toBeLessThan(TOL[precision]);
        for (const out of outputsFor(n)) expect(maxDiff(await ref.evaluate(c, batch, out), await fast.evaluate(c, batch, out))).toBeLessThan(TOL[precision]);
      }
    }
  });

  it.each([1, 2, 4])('adjoint gradient (parameters and features), maxBlock %i', async (maxBlock) => {
    const rng = mulberry32(200 + maxBlock);
    const fast = new FastCpuBackend({ precision, kernels, maxBlock, chunkRows: 6 });
    for (const n of [1, 2, 4]) {
      for (const gateSet of [ALL_GATES, REAL_GATES]) {
        const c = gradientTestCircuit(rng, n, gateSet);
        const batch = randomBatch(rng, c, 5);
        for (const out of outputsFor(n)) {
          const width = out.kind === 'experts' ? out.experts : out.kind === 'expectZ' ? n : 2 ** n;
          const up = Array.from({ length: 5 * width }, () => rng() * 2 - 1);
          for (const features of [false, true]) {
            const want = await ref.gradient(c, batch, out, up, { features });
            const got = await fast.gradient(c, batch, out, up, { features });
            expect(maxDiff(want.params, got.params)).toBeLessThan(GRAD_TOL[precision]);
            if (features) expect(maxDiff(want.features!, got.features!)).toBeLessThan(GRAD_TOL[precision]);
            else expect(got.features).toBeUndefined();
          }
        }
      }
    }
  });
});

describe('FastCpuBackend on the study circuits', () => {
  it.each(['paper', 'code'] as const)('the %s preset router: outputs and gradient at 2 and 5 qubits', async (preset) => {
    const rng = mulberry32(7);
    for (const qubits of [2, 5]) {
      const spec = makeSpec({ router: 'quantum', preset, features: 2, qubits, layers: 3 });
      const c = modelCircuit(spec);
      const out = routerOutput(spec);
      const batch = randomBatch(rng, c, 33);
      const width = out.kind === 'experts' ? out.experts : qubits;
      const up = Array.from({ length: 33 * width }, () => rng() * 2 - 1);
      for (const precision of ['f32', 'f64'] as const) {
        const fast = new FastCpuBackend({ precision });
        expect(maxDiff(await ref.evaluate(c, batch, out), await fast.evaluate(c, batch, out))).toBeLessThan(TOL[precision]);
        const want = await ref.gradient(c, batch, out, up);
        const got = await fast.gradient(c, batch, out, up);
        expect(maxDiff(want.params, got.params)).toBeLessThan(GRAD_TOL[precision]);
      }
    }
  });

  it('gradients match central finite differences of the float32 outputs (parameters and features)', async () => {
    const rng = mulberry32(11);
    const c = gradientTestCircuit(rng, 3);
    const batch = randomBatch(rng, c, 3);
    const out: CircuitOutput = { kind: 'expectZ' };
    const up = Array.from({ length: 3 * 3 }, () => rng() * 2 - 1);
    const fast = new FastCpuBackend({ precision: 'f32' });
    const loss = async (features: number[], params: number[]) => {
      const o = await new FastCpuBackend({ precision: 'f64' }).evaluate(c, { rows: 3, features, params }, out);
      return Array.from(o).reduce((s, v, i) => s + v * up[i], 0);
    };
    const g = await fast.gradient(c, batch, out, up, { features: true });
    const h = 1e-5;
    for (let k = 0; k < c.params; k++) {
      const p1 = [...batch.params], p0 = [...batch.params];
      p1[k] += h;
      p0[k] -= h;
      const fd = ((await loss(batch.features, p1)) - (await loss(batch.features, p0))) / (2 * h);
      expect(Math.abs(g.params[k] - fd)).toBeLessThan(1e-4);
    }
    for (let i = 0; i < batch.features.length; i++) {
      const f1 = [...batch.features], f0 = [...batch.features];
      f1[i] += h;
      f0[i] -= h;
      const fd = ((await loss(f1, batch.params)) - (await loss(f0, batch.params))) / (2 * h);
      expect(Math.abs(g.features![i] - fd)).toBeLessThan(1e-4);
    }
  });

  it('returns float32 arrays in float32 and float64 arrays in float64', async () => {
    const c: Circuit = { qubits: 1, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }] };
    expect(await new FastCpuBackend().probabilities(c, { rows: 1 })).toBeInstanceOf(Float32Array);
    const p = await new FastCpuBackend({ precision: 'f64' }).probabilities(c, { rows: 1 });
    expect(p).toBeInstanceOf(Float64Array);
    expect(maxDiff(p, [0.5, 0.5])).toBeLessThan(1e-15);
  });

  it('refuses bad input with the argument named', async () => {
    const fast = new FastCpuBackend();
    const c: Circuit = { qubits: 2, features: 1, params: 0, ops: [{ gate: 'ry', wires: [0], angle: { kind: 'feature', index: 0 } }] };
    await expect(fast.probabilities(c, { rows: 2, features: [0.1] })).rejects.toThrow(/input\.features\.length/);
    await expect(fast.probabilities(c, { rows: 1, features: [NaN] })).rejects.toThrow(/finite/);
    await expect(fast.probabilities({ ...c, ops: [{ gate: 'foo' as 'h', wires: [0] }] }, { rows: 1, features: [0] })).rejects.toThrow(/unknown gate/);
    await expect(fast.gradient(c, { rows: 1, features: [0] }, { kind: 'probabilities' }, [1, 2])).rejects.toThrow(/dLdOut\.length/);
    expect(() => new FastCpuBackend({ precision: 'f16' as 'f32' })).toThrow(/precision/);
  });
});

describe('FastCpuBackend non-finite results', () => {
  const circuit: Circuit = { qubits: 1, features: 0, params: 1, ops: [{ gate: 'ry', wires: [0], angle: { kind: 'param', index: 0 } }] };
  it.each(['f32', 'f64'] as const)('%s: a gradient that overflows is a QmoeNumericError naming it, not NaN', async (precision) => {
    const backend = new FastCpuBackend({ precision });
    const err = await backend.gradient(circuit, { rows: 1, params: [0.3] }, { kind: 'probabilities' }, [1.7e308, -1.7e308]).catch((e) => e);
    expect(err).toBeInstanceOf(QmoeNumericError);
    expect(err.message).toMatch(/the gradient with respect to params\[0\] is (NaN|-?Infinity)/);
    // Well inside the range it still answers.
    const ok = await backend.gradient(circuit, { rows: 1, params: [0.3] }, { kind: 'probabilities' }, [1, -1]);
    expect(ok.params[0]).toBeCloseTo(-Math.sin(0.3), 5); // L = P0 - P1 = cos(theta);
    backend.dispose();
  });
});
