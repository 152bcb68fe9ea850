import { describe, expect, it } from 'vitest';
import type { Circuit } from '../../src/circuit/types.js';
import { QmoeInputError } from '../../src/errors.js';
import { densityProbabilitiesCpu, densityRow, depolarize1, depolarize2 } from '../../src/noise/density-cpu.js';
import { embeddingAndOutputNoise, everyGateNoise, noiseSchedule, type NoiseModel } from '../../src/noise/model.js';
import { noiseHash, pcgHash } from '../../src/noise/rng.js';
import { sampleShots } from '../../src/noise/shots.js';
import { noisyEvaluate, noisyProbabilities } from '../../src/noise/simulate.js';
import { trajectoryProbabilitiesCpu } from '../../src/noise/trajectories-cpu.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { routerCircuit } from '../../src/circuit/builders.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, randomNoisyCase } from './helpers.js';
import { conjugate, pauliOperator, randomRho, trace } from './density-helpers.js';

const cpu = new CpuBackend();

describe('depolarizing channels (closed forms against explicit Pauli sums)', () => {
  it('one-qubit channel equals (1 - p) rho + p/3 sum_P P rho P on every qubit of 3', () => {
    const rng = mulberry32(1);
    const n = 3, dim = 8;
    for (const p of [0, 0.1, 0.5, 0.75, 1]) {
      for (let q = 0; q < n; q++) {
        const rho = randomRho(rng, dim);
        const want = rho.map((v) => (1 - p) * v);
        for (let k = 1; k <= 3; k++) {
          const term = conjugate(rho, pauliOperator(n, [[q, k]]), dim);
          for (let i = 0; i < want.length; i++) want[i] += (p / 3) * term[i];
        }
        const got = rho.slice();
        depolarize1(got, dim, 2 ** (n - 1 - q), p);
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-12);
        const [tr, ti] = trace(got, dim);
        expect(Math.abs(tr - 1)).toBeLessThan(1e-12);
        expect(Math.abs(ti)).toBeLessThan(1e-12);
      }
    }
  });

  it('two-qubit channel equals (1 - p) rho + p/15 sum over the 15 non-identity Pauli pairs', () => {
    const rng = mulberry32(2);
    const n = 3, dim = 8;
    for (const p of [0, 0.2, 15 / 16, 1]) {
      for (const [qa, qb] of [[0, 1], [2, 0], [1, 2]]) {
        const rho = randomRho(rng, dim);
        const want = rho.map((v) => (1 - p) * v);
        for (let a = 0; a < 4; a++) {
          for (let b = 0; b < 4; b++) {
            if (a === 0 && b === 0) continue;
            const term = conjugate(rho, pauliOperator(n, [[qa, a], [qb, b]]), dim);
            for (let i = 0; i < want.length; i++) want[i] += (p / 15) * term[i];
          }
        }
        const got = rho.slice();
        depolarize2(got, dim, 2 ** (n - 1 - qa), 2 ** (n - 1 - qb), p);
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-12);
        expect(Math.abs(trace(got, dim)[0] - 1)).toBeLessThan(1e-12);
      }
    }
  });
});

describe('exact density matrices on the CPU', () => {
  it('p = 0 equals the pure-state probabilities', async () => {
    for (let seed = 0; seed < 6; seed++) {
      const { circuit, input } = randomNoisyCase(100 + seed, 1 + (seed % 4), 12, 3);
      const want = await cpu.probabilities(circuit, input);
      const got = densityProbabilitiesCpu(noiseSchedule(circuit, { p: 0 }), input);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-12);
    }
  });

  it('keeps rho Hermitian with trace 1 through gates and channels', () => {
    for (let seed = 0; seed < 6; seed++) {
      const { circuit, input, model } = randomNoisyCase(200 + seed, 1 + (seed % 4), 15, 2);
      const schedule = noiseSchedule(circuit, model);
      const dim = 2 ** circuit.qubits;
      const rho = new Float64Array(2 * dim * dim);
      densityRow(schedule, input, 1, rho);
      const [tr, ti] = trace(rho, dim);
      expect(Math.abs(tr - 1)).toBeLessThan(1e-12);
      expect(Math.abs(ti)).toBeLessThan(1e-12);
      for (let r = 0; r < dim; r++) {
        for (let c = 0; c < dim; c++) {
          expect(Math.abs(rho[2 * (r * dim + c)] - rho[2 * (c * dim + r)])).toBeLessThan(1e-12);
          expect(Math.abs(rho[2 * (r * dim + c) + 1] + rho[2 * (c * dim + r) + 1])).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('p = 3/4 on one qubit gives the maximally mixed state', () => {
    const circuit: Circuit = { qubits: 1, features: 0, params: 0, ops: [{ gate: 'ry', wires: [0], angle: { kind: 'const', value: 0.7 } }, { gate: 'rz', wires: [0], angle: { kind: 'const', value: 1.3 } }] };
    const schedule = noiseSchedule(circuit, { p: 0.75, placement: { kind: 'points', points: [{ after: 1, wires: [0] }] } });
    const rho = new Float64Array(8);
    densityRow(schedule, { rows: 1 }, 0, rho);
    expect(maxAbsDiff(rho, [0.5, 0, 0, 0, 0, 0, 0.5, 0])).toBeLessThan(1e-15);
  });

  it('p = 3/4 on qubit 0 of an entangled pair makes it uniform and uncorrelated; p2 = 15/16 mixes both', () => {
    const bell: Circuit = { qubits: 2, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }, { gate: 'cnot', wires: [0, 1] }] };
    const one = densityProbabilitiesCpu(noiseSchedule(bell, { p: 0.75, placement: { kind: 'points', points: [{ after: 1, wires: [0] }] } }), { rows: 1 });
    expect(maxAbsDiff(one, [0.25, 0.25, 0.25, 0.25])).toBeLessThan(1e-15);
    const two = densityProbabilitiesCpu(noiseSchedule(bell, { p: 0, p2: 15 / 16 }), { rows: 1 });
    expect(maxAbsDiff(two, [0.25, 0.25, 0.25, 0.25])).toBeLessThan(1e-15);
  });

  it('one depolarized qubit in |1>: P(1) = 1 - 2p/3; readout r flips it', () => {
    const x: Circuit = { qubits: 1, features: 0, params: 0, ops: [{ gate: 'x', wires: [0] }] };
    const got = densityProbabilitiesCpu(noiseSchedule(x, everyGateNoise(0.3)), { rows: 1 });
    expect(maxAbsDiff(got, [0.2, 0.8])).toBeLessThan(1e-15);
    const ro = densityProbabilitiesCpu(noiseSchedule(x, { p: 0, readout: 0.1 }), { rows: 1 });
    expect(maxAbsDiff(ro, [0.1, 0.9])).toBeLessThan(1e-15);
  });

  it("places the code preset's channels after the embedding and after the last layer", () => {
    const circuit = routerCircuit(2, 3);
    const model = embeddingAndOutputNoise(circuit, 2, 0.1);
    const s = noiseSchedule(circuit, model);
    const kinds = s.steps.map((st) => (st.kind === 'gate' ? `g${st.op}` : st.kind === 'channel1' ? `c${st.wire}` : 'cc'));
    expect(kinds.slice(0, 4)).toEqual(['g0', 'g1', 'c0', 'c1']);
    expect(kinds.slice(-3)).toEqual([`g${circuit.ops.length - 1}`, 'c0', 'c1']);
    expect(s.channels).toBe(4);
  });

  it('rejects bad noise models with QmoeInputError', () => {
    const c = routerCircuit(2, 1);
    const bad: [NoiseModel, RegExp][] = [
      [{ p: -0.1 }, /noise\.p: -0\.1 is invalid; an error rate must be a number from 0 to 1/],
      [{ p: 1.5 }, /noise\.p: 1\.5/],
      [{ p: Number.NaN }, /noise\.p: NaN/],
      [{ p: 0.1, p2: 2 }, /noise\.p2/],
      [{ p: 0.1, readout: -1 }, /noise\.readout/],
      [{ p: 0.1, placement: { kind: 'points', points: [{ after: 99, wires: [0] }] } }, /points\[0\]\.after: 99.*from -1 to/],
      [{ p: 0.1, placement: { kind: 'points', points: [{ after: 0, wires: [5] }] } }, /wires\[0\]: 5/],
      [{ p: 0.1, placement: { kind: 'points', points: [{ after: 0, wires: [1, 1], pair: true }] } }, /two different wires/],
    ];
    for (const [model, msg] of bad) {
      expect(() => noiseSchedule(c, model)).toThrow(QmoeInputError);
      expect(() => noiseSchedule(c, model)).toThrow(msg);
    }
    expect(() => trajectoryProbabilitiesCpu(noiseSchedule(c, { p: 0.1 }), { rows: 1, features: [0, 0], params: [0, 0] }, { trajectories: 0 })).toThrow(/trajectories: 0 is invalid/);
    expect(() => sampleShots([1], 1, 1, { shots: 0 })).toThrow(/shots: 0 is invalid/);
  });
});

describe('trajectories on the CPU', () => {
  // Statistics: each trajectory's |psi_k|^2 lies in [0, 1], so its variance is at most
  // P_k (1 - P_k) where P_k is the exact probability; the mean of T = 4000 independent
  // trajectories is within 5 sigma = 5 sqrt(P_k (1 - P_k) / T) of P_k except with probability
  // < 6e-7 per entry (Chebyshev would give 1/25; the sum of bounded draws is near normal).
  // The draws are seeded, so the test is deterministic.
  const T = 4000;
  it.each([1, 2, 3, 4])('converge to the exact probabilities within 5 sigma (n = %i, T = 4000)', (n) => {
    for (let seed = 0; seed < 3; seed++) {
      const { circuit, input, model } = randomNoisyCase(300 + 10 * n + seed, n, 3 * n + 4, 3);
      const schedule = noiseSchedule(circuit, model);
      const exact = densityProbabilitiesCpu(schedule, input);
      const mean = trajectoryProbabilitiesCpu(schedule, input, { trajectories: T, seed: 7 + seed });
      for (let i = 0; i < exact.length; i++) {
        const p = exact[i];
        const sigma = Math.sqrt(Math.max(0, p * (1 - p)) / T);
        expect(Math.abs(mean[i] - p), `entry ${i}: ${mean[i]} vs ${p}`).toBeLessThanOrEqual(5 * sigma + 1e-9);
      }
    }
  });

  it('applies X, Y and Z as drawn: in the X and Y bases a channel flips the outcome with probability 2p/3', () => {
    // |+> is flipped by Z and Y only, |+i> by X and Z only: a wrong Pauli moves P(1) by p/3.
    const p = 0.6;
    const xBasis: Circuit = { qubits: 1, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }, { gate: 'h', wires: [0] }] };
    const yBasis: Circuit = {
      qubits: 1, features: 0, params: 0,
      ops: [{ gate: 'h', wires: [0] }, { gate: 's', wires: [0] }, { gate: 'rz', wires: [0], angle: { kind: 'const', value: -Math.PI / 2 } }, { gate: 'h', wires: [0] }],
    };
    for (const [c, after] of [[xBasis, 0], [yBasis, 1]] as const) {
      const s = noiseSchedule(c, { p, placement: { kind: 'points', points: [{ after, wires: [0] }] } });
      const exact = densityProbabilitiesCpu(s, { rows: 1 });
      expect(Math.abs(exact[1] - (2 * p) / 3)).toBeLessThan(1e-12);
      const T = 4000;
      const mean = trajectoryProbabilitiesCpu(s, { rows: 1 }, { trajectories: T, seed: 1 });
      expect(Math.abs(mean[1] - (2 * p) / 3)).toBeLessThanOrEqual(5 * Math.sqrt(0.4 * 0.6 / T));
    }
    // Two-qubit channel: |++> flipped on qubit 0 by the 8 pairs with Y or Z there: P = 8 p2 / 15.
    const pair: Circuit = { qubits: 2, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }, { gate: 'h', wires: [1] }, { gate: 'cz', wires: [0, 1] }, { gate: 'cz', wires: [0, 1] }, { gate: 'h', wires: [0] }, { gate: 'h', wires: [1] }] };
    const s2 = noiseSchedule(pair, { p: 0, p2: 0.9, placement: { kind: 'points', points: [{ after: 2, wires: [0, 1], pair: true }] } });
    const exact2 = densityProbabilitiesCpu(s2, { rows: 1 });
    expect(Math.abs(exact2[2] + exact2[3] - (8 * 0.9) / 15)).toBeLessThan(1e-12);
    const mean2 = trajectoryProbabilitiesCpu(s2, { rows: 1 }, { trajectories: 4000, seed: 2 });
    expect(Math.abs(mean2[2] + mean2[3] - (8 * 0.9) / 15)).toBeLessThanOrEqual(5 * Math.sqrt(0.25 / 4000));
  });

  it('does not depend on the batch split (firstSample) and changes with the seed', () => {
    const { circuit, input, model } = randomNoisyCase(400, 3, 10, 5);
    const schedule = noiseSchedule(circuit, model);
    const all = trajectoryProbabilitiesCpu(schedule, input, { trajectories: 20, seed: 3 });
    const dim = 8;
    const tail = { rows: 3, features: input.features.slice(2 * 3), params: input.params };
    const part = trajectoryProbabilitiesCpu(schedule, tail, { trajectories: 20, seed: 3, firstSample: 2 });
    expect(maxAbsDiff(part, all.subarray(2 * dim))).toBe(0);
    const other = trajectoryProbabilitiesCpu(schedule, input, { trajectories: 20, seed: 4 });
    expect(maxAbsDiff(other, all)).toBeGreaterThan(1e-3);
  });

  it('p = 0 trajectories equal the pure state', async () => {
    const { circuit, input } = randomNoisyCase(500, 3, 12, 2);
    const got = trajectoryProbabilitiesCpu(noiseSchedule(circuit, { p: 0 }), input, { trajectories: 3 });
    expect(maxAbsDiff(got, await cpu.probabilities(circuit, input))).toBeLessThan(1e-12);
  });
});

describe('counter-based RNG and shots', () => {
  it('pcgHash matches reference values of the PCG hash', () => {
    // Computed with the reference C code (uint32 state = v * 747796405u + 2891336453u; ...).
    const ref = (v: number) => {
      const s = BigInt.asUintN(32, BigInt(v) * 747796405n + 2891336453n);
      const word = BigInt.asUintN(32, ((s >> ((s >> 28n) + 4n)) ^ s) * 277803737n);
      return Number((word >> 22n) ^ word);
    };
    for (const v of [0, 1, 2, 12345, 0x7fffffff, 0xffffffff]) expect(pcgHash(v)).toBe(ref(v));
    expect(noiseHash(1, 2, 3, 4, 5, 6)).not.toBe(noiseHash(1, 2, 3, 4, 5, 7));
  });

  it('samples shots reproducibly, independent of the batch split, within 5 sigma', () => {
    const probs = [0.1, 0.2, 0.3, 0.4, 0.5, 0, 0, 0.5, 1, 0, 0, 0];
    const S = 20000;
    const a = sampleShots(probs, 3, 4, { shots: S, seed: 9 });
    const b = sampleShots(probs, 3, 4, { shots: S, seed: 9 });
    expect(Array.from(a.counts)).toEqual(Array.from(b.counts));
    const tail = sampleShots(probs.slice(4), 2, 4, { shots: S, seed: 9, firstSample: 1 });
    expect(Array.from(tail.counts)).toEqual(Array.from(a.counts.subarray(4)));
    for (let r = 0; r < 3; r++) expect(a.counts.subarray(4 * r, 4 * r + 4).reduce((x, y) => x + y, 0)).toBe(S);
    for (let i = 0; i < probs.length; i++) {
      const p = probs[i];
      expect(Math.abs(a.frequencies[i] - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / S) + 1e-12);
    }
    expect(a.counts[5]).toBe(0);
    expect(a.counts[8]).toBe(S);
  });
});

describe('noisyProbabilities / noisyEvaluate', () => {
  it('chooses the density matrix unless trajectories are given, and folds expert outputs', async () => {
    const circuit = routerCircuit(2, 2);
    const input = { rows: 2, features: [0.1, 0.2, 1, 2], params: [0.3, 0.4, 0.5, 0.6] };
    const exact = await noisyEvaluate(circuit, input, { p: 0.02 }, { kind: 'experts', experts: 2 });
    expect(exact.method).toBe('density-matrix');
    expect(exact.outputs.length).toBe(4);
    expect(Math.abs(exact.outputs[0] + exact.outputs[1] - 1)).toBeLessThan(1e-12);
    const traj = await noisyProbabilities(circuit, input, { p: 0.02 }, { trajectories: 10 });
    expect(traj.method).toBe('trajectories');
    expect(traj.trajectories).toBe(10);
  });
});
