import { describe, expect, it } from 'vitest';
import type { Circuit } from '../../src/circuit/types.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import type { BatchInput, CircuitOutput } from '../../src/sim/backend.js';
import { outputCount } from '../../src/sim/experts.js';
import { QmoeInputError } from '../../src/errors.js';
import { randomInt } from '../helpers/random.js';
import { gradientTestCircuit, mulberry32, randomBatch } from './adjoint-circuits.js';

// Float64 adjoint gradients against central finite differences (h = 1e-6) and the parameter-shift
// rule, on random circuits that use every parametric gate with params, features and constants.
const FD_H = 1e-6;
const FD_TOL = 1e-6;
/** The shift rules are exact: only float64 rounding separates them from the adjoint. */
const SHIFT_TOL = 1e-10;

const cpu = new CpuBackend();
const testCircuit = (rng: () => number, qubits: number) => gradientTestCircuit(rng, qubits);

async function loss(circuit: Circuit, input: BatchInput, output: CircuitOutput, up: number[]): Promise<number> {
  const out = await cpu.evaluate(circuit, input, output);
  let l = 0;
  for (let i = 0; i < out.length; i++) l += up[i] * out[i];
  return l;
}

function outputsFor(rng: () => number, qubits: number): CircuitOutput[] {
  return [{ kind: 'probabilities' }, { kind: 'experts', experts: 1 + randomInt(rng, 2 ** qubits) }, { kind: 'expectZ' }];
}

describe('CPU adjoint gradient', () => {
  for (const qubits of [1, 2, 3, 4]) {
    it(`matches central finite differences (n=${qubits}, 3 rows, every output kind)`, async () => {
      const rng = mulberry32(100 + qubits);
      const circuit = testCircuit(rng, qubits);
      const input = randomBatch(rng, circuit, 3);
      for (const output of outputsFor(rng, qubits)) {
        const up = Array.from({ length: 3 * outputCount(qubits, output) }, () => rng() * 2 - 1);
        const g = await cpu.gradient(circuit, input, output, up, { features: true });
        expect(g.params).toHaveLength(circuit.params);
        expect(g.features).toHaveLength(3 * circuit.features);
        for (let p = 0; p < circuit.params; p++) {
          const plus = { ...input, params: input.params.map((v, i) => (i === p ? v + FD_H : v)) };
          const minus = { ...input, params: input.params.map((v, i) => (i === p ? v - FD_H : v)) };
          const fd = ((await loss(circuit, plus, output, up)) - (await loss(circuit, minus, output, up))) / (2 * FD_H);
          expect(Math.abs(g.params[p] - fd), `${output.kind} param ${p}: adjoint ${g.params[p]} fd ${fd}`).toBeLessThan(FD_TOL);
        }
        for (let f = 0; f < input.features.length; f++) {
          const plus = { ...input, features: input.features.map((v, i) => (i === f ? v + FD_H : v)) };
          const minus = { ...input, features: input.features.map((v, i) => (i === f ? v - FD_H : v)) };
          const fd = ((await loss(circuit, plus, output, up)) - (await loss(circuit, minus, output, up))) / (2 * FD_H);
          expect(Math.abs(g.features![f] - fd), `${output.kind} feature ${f}: adjoint ${g.features![f]} fd ${fd}`).toBeLessThan(FD_TOL);
        }
      }
    });
  }

  it('matches the parameter-shift rule per gate (two-term for rx/ry/rz/p, four-term for controlled rotations)', async () => {
    const rng = mulberry32(7);
    const circuit = testCircuit(rng, 3);
    const input = randomBatch(rng, circuit, 2);
    for (const output of outputsFor(rng, 3)) {
      const up = Array.from({ length: 2 * outputCount(3, output) }, () => rng() * 2 - 1);
      const g = await cpu.gradient(circuit, input, output, up, { features: true });
      const params = new Float64Array(circuit.params);
      const features = new Float64Array(input.features.length);
      // Shift the angle of one op at a time (a param or feature used twice gets both contributions).
      for (let r = 0; r < input.rows; r++) {
        const rowInput = { rows: 1, features: input.features.slice(r * 3, r * 3 + 3), params: input.params };
        const rowUp = up.slice(r * outputCount(3, output), (r + 1) * outputCount(3, output));
        for (let k = 0; k < circuit.ops.length; k++) {
          const a = circuit.ops[k].angle;
          if (!a || a.kind === 'const') continue;
          const theta = a.kind === 'param' ? input.params[a.index] : rowInput.features[a.index];
          const at = async (shift: number) => {
            const ops = circuit.ops.map((op, i) => (i === k ? { ...op, angle: { kind: 'const' as const, value: theta + shift } } : op));
            return loss({ ...circuit, ops }, rowInput, output, rowUp);
          };
          let d: number;
          if (circuit.ops[k].gate.startsWith('c')) {
            const dp = (Math.SQRT2 + 1) / (4 * Math.SQRT2);
            const dm = (Math.SQRT2 - 1) / (4 * Math.SQRT2);
            d = dp * ((await at(Math.PI / 2)) - (await at(-Math.PI / 2))) - dm * ((await at((3 * Math.PI) / 2)) - (await at((-3 * Math.PI) / 2)));
          } else {
            d = ((await at(Math.PI / 2)) - (await at(-Math.PI / 2))) / 2;
          }
          if (a.kind === 'param') params[a.index] += d;
          else features[r * 3 + a.index] += d;
        }
      }
      for (let p = 0; p < circuit.params; p++) expect(Math.abs(g.params[p] - params[p]), `${output.kind} param ${p}`).toBeLessThan(SHIFT_TOL);
      for (let f = 0; f < features.length; f++) expect(Math.abs(g.features![f] - features[f]), `${output.kind} feature ${f}`).toBeLessThan(SHIFT_TOL);
    }
  });

  it('omits feature gradients unless asked and sums params over rows', async () => {
    const rng = mulberry32(3);
    const circuit = testCircuit(rng, 2);
    const input = randomBatch(rng, circuit, 4);
    const output: CircuitOutput = { kind: 'expectZ' };
    const up = Array.from({ length: 4 * 2 }, () => rng() * 2 - 1);
    const g = await cpu.gradient(circuit, input, output, up);
    expect(g.features).toBeUndefined();
    const sum = new Float64Array(circuit.params);
    for (let r = 0; r < 4; r++) {
      const gr = await cpu.gradient(circuit, { rows: 1, features: input.features.slice(3 * r, 3 * r + 3), params: input.params }, output, up.slice(2 * r, 2 * r + 2));
      gr.params.forEach((v, i) => (sum[i] += v));
    }
    g.params.forEach((v, i) => expect(v).toBeCloseTo(sum[i], 12));
  });

  it('evaluates expectZ with qubit 0 as the most significant bit', async () => {
    const circuit: Circuit = { qubits: 3, features: 0, params: 0, ops: [{ gate: 'x', wires: [0] }, { gate: 'h', wires: [2] }] };
    expect(Array.from(await cpu.evaluate(circuit, { rows: 1 }, { kind: 'expectZ' }))).toEqual([expect.closeTo(-1, 12), expect.closeTo(1, 12), expect.closeTo(0, 12)]);
    expect(Array.from(await cpu.evaluate(circuit, { rows: 1 }, { kind: 'experts', experts: 2 }))).toEqual([0, expect.closeTo(1, 12)]);
  });

  it('names bad upstream gradients and outputs', async () => {
    const circuit: Circuit = { qubits: 2, features: 0, params: 1, ops: [{ gate: 'ry', wires: [0], angle: { kind: 'param', index: 0 } }] };
    const input = { rows: 2, params: [0.3] };
    await expect(cpu.gradient(circuit, input, { kind: 'expectZ' }, [1, 2, 3])).rejects.toThrow(/dLdOut.length: 3 .*rows \(2\) x outputs \(2\) = 4/);
    await expect(cpu.gradient(circuit, input, { kind: 'expectZ' }, [1, 2, NaN, 3])).rejects.toThrow(QmoeInputError);
    await expect(cpu.gradient(circuit, input, { kind: 'experts', experts: 5 }, [])).rejects.toThrow(/output.experts: 5/);
    await expect(cpu.evaluate(circuit, input, { kind: 'bogus' } as never)).rejects.toThrow(/output.kind/);
  });
});
