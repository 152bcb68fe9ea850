import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { modelCircuit, makeSpec } from '../../src/moe/models.js';
import { densityProbabilitiesCpu, depolarize1, depolarize2 } from '../../src/noise/density-cpu.js';
import { NOISE_CONVENTIONS, conventionRates, noiseSchedule } from '../../src/noise/model.js';
import { routerNoise } from '../../src/noise/training.js';
import { mulberry32 } from '../helpers/random.js';
import { conjugate, pauliOperator, randomRho, trace } from './density-helpers.js';
import { maxAbsDiff } from './helpers.js';

const n = 3;
const dim = 2 ** n;
/** The bit of qubit q (qubit 0 is the most significant) in a basis index. */
const bitOf = (index: number, q: number) => (index >> (n - 1 - q)) & 1;

/**
 * (1 - lambda) rho + lambda (I / 2^k ⊗ Tr_wires rho): Qiskit Aer's depolarizing_error(lambda, k)
 * on `wires`, written from its definition (the partial trace over the wires, replaced by the
 * maximally mixed state), not from Pauli sums.
 */
function qiskitDefinition(rho: Float64Array, wires: number[], lambda: number): Float64Array {
  const out = rho.map((v) => (1 - lambda) * v);
  const k = wires.length;
  const mask = wires.reduce((m, q) => m | (1 << (n - 1 - q)), 0);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) {
      // I on the wires: only entries whose wire bits agree; the rest of rho traced over the wires.
      if ((r & mask) !== (c & mask)) continue;
      let re = 0, im = 0;
      for (let s = 0; s < 2 ** k; s++) {
        let w = 0;
        wires.forEach((q, j) => { if ((s >> j) & 1) w |= 1 << (n - 1 - q); });
        const rr = (r & ~mask) | w, cc = (c & ~mask) | w;
        re += rho[2 * (rr * dim + cc)];
        im += rho[2 * (rr * dim + cc) + 1];
      }
      out[2 * (r * dim + c)] += (lambda / 2 ** k) * re;
      out[2 * (r * dim + c) + 1] += (lambda / 2 ** k) * im;
    }
  }
  return out;
}

/** PennyLane's DepolarizingChannel(p) on one wire: (1 - p) rho + p/3 (X rho X + Y rho Y + Z rho Z); on two wires the 15 Pauli pairs, p/15 each. */
function pennylaneDefinition(rho: Float64Array, wires: number[], p: number): Float64Array {
  const out = rho.map((v) => (1 - p) * v);
  const terms: [number, number][][] =
    wires.length === 1
      ? [1, 2, 3].map((k) => [[wires[0], k]])
      : Array.from({ length: 16 }, (_, i) => [[wires[0], i >> 2], [wires[1], i & 3]] as [number, number][]).slice(1);
  for (const t of terms) {
    const term = conjugate(rho, pauliOperator(n, t), dim);
    for (let i = 0; i < out.length; i++) out[i] += (p / terms.length) * term[i];
  }
  return out;
}

const DEFINITIONS = { pennylane: pennylaneDefinition, qiskit: qiskitDefinition };

describe('noise conventions: what an error rate means', () => {
  it('maps a rate to Pauli error probabilities: pennylane p, p; qiskit 3p/4, 15p/16', () => {
    expect(conventionRates(0.2, 'pennylane')).toEqual({ p: 0.2, p2: 0.2 });
    const q = conventionRates(0.2, 'qiskit');
    expect(q.p).toBeCloseTo(0.15, 15);
    expect(q.p2).toBeCloseTo(0.1875, 15);
    expect(conventionRates(0.2)).toEqual({ p: 0.2, p2: 0.2 });
    expect(() => conventionRates(0.2, 'cirq' as never)).toThrow(QmoeInputError);
    expect(() => conventionRates(1.5, 'qiskit')).toThrow(QmoeInputError);
  });

  for (const convention of NOISE_CONVENTIONS) {
    it(`${convention}: the one- and two-qubit channels at a rate equal the convention's definition on random density matrices`, () => {
      const rng = mulberry32(convention === 'qiskit' ? 11 : 12);
      for (const rate of [0, 0.07, 0.4, 1]) {
        const { p, p2 } = conventionRates(rate, convention);
        for (let q = 0; q < n; q++) {
          const rho = randomRho(rng, dim);
          const got = rho.slice();
          depolarize1(got, dim, 2 ** (n - 1 - q), p);
          expect(maxAbsDiff(got, DEFINITIONS[convention](rho, [q], rate))).toBeLessThan(1e-12);
          expect(Math.abs(trace(got, dim)[0] - 1)).toBeLessThan(1e-12);
        }
        for (const [qa, qb] of [[0, 1], [2, 0], [1, 2]]) {
          const rho = randomRho(rng, dim);
          const got = rho.slice();
          depolarize2(got, dim, 2 ** (n - 1 - qa), 2 ** (n - 1 - qb), p2);
          expect(maxAbsDiff(got, DEFINITIONS[convention](rho, [qa, qb], rate))).toBeLessThan(1e-12);
        }
      }
    });
  }

  it('the two definitions differ: qiskit at rate 1 is the maximally mixed state on the wire, pennylane at rate 1 is not', () => {
    const rho = randomRho(mulberry32(5), dim);
    const mixed = qiskitDefinition(rho, [1], 1);
    // Tr_1 rho ⊗ I/2: no coherence and equal weight in qubit 1.
    for (let r = 0; r < dim; r++) for (let c = 0; c < dim; c++) if (bitOf(r, 1) !== bitOf(c, 1)) expect(Math.abs(mixed[2 * (r * dim + c)])).toBeLessThan(1e-15);
    expect(maxAbsDiff(pennylaneDefinition(rho, [1], 1), mixed)).toBeGreaterThan(1e-3);
  });

  it("the study's router under qiskit noise: the rates reach every channel, and rate 1 after every gate leaves the uniform distribution", () => {
    const spec = makeSpec({ router: 'quantum', preset: 'paper', features: 2, classes: 2 });
    const model = routerNoise(spec, 0.04, 'every-gate', 'qiskit');
    expect(model.p).toBeCloseTo(0.03, 15);
    expect(model.p2).toBeCloseTo(0.0375, 15);
    expect(routerNoise(spec, 0.04, 'every-gate').p).toBe(0.04);
    expect(routerNoise(spec, 0.04, 'embedding-output', 'qiskit').p).toBeCloseTo(0.03, 15);

    // The circuit ends with a CZ on both qubits: a two-qubit channel of rate 1 (qiskit) replaces rho by I/4.
    const circuit = modelCircuit(spec);
    const input = { rows: 3, features: [0.3, 1.2, -0.7, 2.5, 1.9, 0.1], params: Array.from({ length: circuit.params }, (_, i) => 0.37 * i - 1) };
    const uniform = densityProbabilitiesCpu(noiseSchedule(circuit, routerNoise(spec, 1, 'every-gate', 'qiskit')), input);
    expect(maxAbsDiff(uniform, new Float64Array(12).fill(0.25))).toBeLessThan(1e-12);
    // PennyLane's channel at rate 1 is not a reset (after the CZ: rho -> (4I - rho) / 15); one layer keeps it visible.
    const short = makeSpec({ router: 'quantum', preset: 'paper', features: 2, classes: 2, layers: 1 });
    const c1 = modelCircuit(short);
    const input1 = { ...input, params: input.params.slice(0, c1.params) };
    const pennylane = densityProbabilitiesCpu(noiseSchedule(c1, routerNoise(short, 1, 'every-gate', 'pennylane')), input1);
    expect(maxAbsDiff(pennylane, new Float64Array(12).fill(0.25))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(densityProbabilitiesCpu(noiseSchedule(c1, routerNoise(short, 1, 'every-gate', 'qiskit')), input1), new Float64Array(12).fill(0.25))).toBeLessThan(1e-12);
  });
});
