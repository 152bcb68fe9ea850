/**
 * Mid-circuit measurement, reset and `if` simulated per shot (src/sim/program-cpu.ts) against the
 * exact distribution of outcomes, which this file computes by enumerating every measurement
 * branch with its probability (its own small state-vector code, no sampling). Counts are checked
 * with a chi-square bound; seeds are fixed, so the tests are deterministic.
 */
import { describe, expect, it } from 'vitest';
import { parseQasmProgram, type QasmProgram } from '../../src/circuit/qasm.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { fileGatePlacement } from '../../src/noise/file-gates.js';
import { noiseSchedule } from '../../src/noise/model.js';
import { noisyProbabilities } from '../../src/noise/simulate.js';
import { simulateProgramShots } from '../../src/sim/program-cpu.js';
import { mulberry32, randomInt } from '../helpers/random.js';

const HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';
const cpu = new CpuBackend();

/** The exact probability of each (final basis state, classical bits) pair, keyed "basis|bits". */
async function exactOutcomes(program: QasmProgram): Promise<Map<string, number>> {
  const n = program.circuit.qubits;
  const dim = 2 ** n;
  const out = new Map<string, number>();
  // Runs the ops of a step on a state by running a circuit of those ops after a state-preparation
  // trick: the CPU backend starts at |0..0>, so this applies the ops to basis vectors and sums.
  const applyOps = async (psi: Float64Array, start: number, end: number): Promise<Float64Array> => {
    const ops = program.circuit.ops.slice(start, end);
    const next = new Float64Array(2 * dim);
    for (let j = 0; j < dim; j++) {
      const [re, im] = [psi[2 * j], psi[2 * j + 1]];
      if (re === 0 && im === 0) continue;
      const prep = Array.from({ length: n }, (_, q) => q).filter((q) => (j >> (n - 1 - q)) & 1).map((q) => ({ gate: 'x' as const, wires: [q] }));
      const col = await cpu.states({ qubits: n, features: 0, params: 0, ops: [...prep, ...ops] }, { rows: 1 });
      for (let i = 0; i < dim; i++) {
        next[2 * i] += re * col[2 * i] - im * col[2 * i + 1];
        next[2 * i + 1] += re * col[2 * i + 1] + im * col[2 * i];
      }
    }
    return next;
  };
  const walk = async (from: number, psi: Float64Array, bits: number[], weight: number): Promise<void> => {
    if (weight < 1e-15) return;
    for (let i = from; i < program.steps.length; i++) {
      const step = program.steps[i];
      if (step.condition) {
        let v = 0;
        for (let b = step.condition.size - 1; b >= 0; b--) v = 2 * v + bits[step.condition.offset + b];
        if (v !== step.condition.value) continue;
      }
      if (step.kind === 'gates') {
        psi = await applyOps(psi, step.start, step.end);
        continue;
      }
      const s = 2 ** (n - 1 - step.qubit);
      for (const outcome of [0, 1]) {
        const branch = new Float64Array(2 * dim);
        let p = 0;
        for (let k = 0; k < dim; k++) {
          if (((k & s) !== 0) !== (outcome === 1)) continue;
          // A reset maps the 1 branch onto the 0 branch.
          const to = step.kind === 'reset' ? k & ~s : k;
          branch[2 * to] = psi[2 * k];
          branch[2 * to + 1] = psi[2 * k + 1];
          p += psi[2 * k] ** 2 + psi[2 * k + 1] ** 2;
        }
        if (p < 1e-15) continue;
        branch.forEach((v, k) => (branch[k] = v / Math.sqrt(p)));
        const b2 = bits.slice();
        if (step.kind === 'measure' && step.clbit >= 0) b2[step.clbit] = outcome;
        await walk(i + 1, branch, b2, weight * p);
      }
      return;
    }
    for (let k = 0; k < dim; k++) {
      const p = weight * (psi[2 * k] ** 2 + psi[2 * k + 1] ** 2);
      if (p > 0) {
        const key = `${k}|${bits.join('')}`;
        out.set(key, (out.get(key) ?? 0) + p);
      }
    }
  };
  const psi = new Float64Array(2 * dim);
  psi[0] = 1;
  await walk(0, psi, new Array(program.clbits).fill(0), 1);
  return out;
}

/**
 * Chi-square of observed joint counts (final basis state and classical bits) against the exact
 * probabilities, cells with expectation under 5 pooled; returns the statistic and the degrees of
 * freedom.
 */
function chiSquare(observed: Map<string, number>, exact: Map<string, number>, shots: number): { chi2: number; dof: number } {
  let chi2 = 0, dof = -1, poolE = 0, poolO = 0;
  for (const [key, p] of exact) {
    const e = p * shots;
    const o = observed.get(key) ?? 0;
    if (e < 5) {
      poolE += e;
      poolO += o;
      continue;
    }
    chi2 += (o - e) ** 2 / e;
    dof++;
  }
  if (poolE > 0) {
    chi2 += (poolO - poolE) ** 2 / Math.max(poolE, 1);
    dof++;
  }
  for (const key of observed.keys()) if (!exact.has(key)) throw new Error(`outcome ${key} has probability 0`);
  return { chi2, dof: Math.max(dof, 1) };
}

/** Joint counts of a shot run, keyed like exactOutcomes: needs the joint histogram, so one shot at a time. */
function jointCounts(program: QasmProgram, shots: number, seed: number): Map<string, number> {
  const out = new Map<string, number>();
  // Runs of one shot each with consecutive seeds give independent joint samples.
  for (let s = 0; s < shots; s++) {
    const r = simulateProgramShots(program, { shots: 1, seed: seed * 1000003 + s });
    const k = r.counts.findIndex((c) => c === 1);
    const bits = Object.keys(r.classical)[0];
    const key = `${k}|${bits}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** Bound for a chi-square with `dof` degrees of freedom: mean + 5 standard deviations. */
const bound = (dof: number) => dof + 5 * Math.sqrt(2 * dof);

describe('simulateProgramShots', () => {
  it('samples a mid-circuit measurement, a gate after it and a second measurement with the exact branch probabilities', async () => {
    const theta = 1.1;
    const program = parseQasmProgram(`${HEAD}qreg q[2];\ncreg c[2];\nry(${theta}) q[0];\nmeasure q[0] -> c[0];\nh q[0];\ncx q[0],q[1];\nmeasure q[0] -> c[1];\n`);
    expect(program.dynamic?.line).toBe(7);
    const shots = 40000;
    const r = simulateProgramShots(program, { shots, seed: 7 });
    // c[0] = 1 with probability sin^2(theta/2); after h, c[1] is a fair coin independent of c[0].
    const p1 = Math.sin(theta / 2) ** 2;
    const want: Record<string, number> = { '00': (1 - p1) / 2, '01': (1 - p1) / 2, '10': p1 / 2, '11': p1 / 2 };
    let chi2 = 0;
    for (const [bits, p] of Object.entries(want)) chi2 += ((r.classical[bits] ?? 0) - p * shots) ** 2 / (p * shots);
    expect(chi2, JSON.stringify(r.classical)).toBeLessThan(bound(3));
    // The final state is |00> or |11>: q[1] copies the second outcome.
    expect(r.counts[0] + r.counts[3]).toBe(shots);
    expect(r.counts[3]).toBe((r.classical['01'] ?? 0) + (r.classical['11'] ?? 0));
  });

  it('resets a qubit entangled with another: the partner keeps its marginal', () => {
    const theta = 2.0;
    const program = parseQasmProgram(`${HEAD}qreg q[2];\nry(${theta}) q[0];\ncx q[0],q[1];\nreset q[0];\n`);
    const shots = 20000;
    const r = simulateProgramShots(program, { shots, seed: 3 });
    expect(r.counts[2] + r.counts[3]).toBe(0); // q[0] is 0 after the reset
    const p = Math.sin(theta / 2) ** 2;
    const sd = Math.sqrt(shots * p * (1 - p));
    expect(Math.abs(r.counts[1] - shots * p), `q[1] = 1 in ${r.counts[1]} of ${shots}`).toBeLessThan(5 * sd);
  });

  it('teleports a state with measurements and if: the target ends in the sent state', () => {
    const [theta, phi] = [1.3, 0.4];
    const program = parseQasmProgram(`${HEAD}qreg q[3];\ncreg a[1];\ncreg b[1];
ry(${theta}) q[0];\nrz(${phi}) q[0];
h q[1];\ncx q[1],q[2];
cx q[0],q[1];\nh q[0];
measure q[0] -> a[0];\nmeasure q[1] -> b[0];
if (b==1) x q[2];\nif (a==1) z q[2];\n`);
    const shots = 20000;
    const r = simulateProgramShots(program, { shots, seed: 11 });
    let ones = 0;
    r.counts.forEach((c, k) => (ones += k & 1 ? c : 0));
    const p = Math.sin(theta / 2) ** 2;
    expect(Math.abs(ones - shots * p)).toBeLessThan(5 * Math.sqrt(shots * p * (1 - p)));
    // The two classical bits are uniform.
    for (const bits of ['00', '01', '10', '11']) expect(Math.abs((r.classical[bits] ?? 0) - shots / 4)).toBeLessThan(5 * Math.sqrt((shots * 3) / 16));
  });

  it('matches the exact outcome distribution of random programs with measurements, resets and if (chi-square)', async () => {
    const rng = mulberry32(99);
    const gates = ['h q[0];', 'h q[1];', 'ry(0.7) q[1];', 'rx(2.1) q[0];', 'cx q[0],q[1];', 'cx q[1],q[2];', 'u3(1,2,3) q[2];', 'rzz(0.9) q[0],q[2];', 'sx q[1];'];
    const dynamic = ['measure q[0] -> c[0];', 'measure q[1] -> c[1];', 'measure q[2] -> c[2];', 'reset q[1];', 'reset q[2];', 'if (c==1) x q[2];', 'if (c==3) h q[0];', 'if (c==2) measure q[2] -> c[0];'];
    for (let t = 0; t < 4; t++) {
      const lines: string[] = [];
      for (let k = 0; k < 10; k++) lines.push(rng() < 0.35 ? dynamic[randomInt(rng, dynamic.length)] : gates[randomInt(rng, gates.length)]);
      const program = parseQasmProgram(`${HEAD}qreg q[3];\ncreg c[3];\nh q[0];\nmeasure q[0] -> c[0];\nh q[0];\n${lines.join('\n')}\n`);
      const exact = await exactOutcomes(program);
      const shots = 3000;
      const { chi2, dof } = chiSquare(jointCounts(program, shots, t), exact, shots);
      expect(chi2, `program ${t}: chi2 ${chi2.toFixed(1)} with ${dof} dof\n${lines.join('\n')}`).toBeLessThan(bound(dof));
      // The shared-branch run gives the same marginals.
      const r = simulateProgramShots(program, { shots: 20000, seed: t });
      const marginal = new Map<number, number>();
      for (const [key, p] of exact) marginal.set(Number(key.split('|')[0]), (marginal.get(Number(key.split('|')[0])) ?? 0) + p);
      let chi = 0, cells = -1;
      for (const [k, p] of marginal) {
        if (p * 20000 < 5) continue;
        chi += (r.counts[k] - p * 20000) ** 2 / (p * 20000);
        cells++;
      }
      expect(chi, `program ${t} final-state marginal`).toBeLessThan(bound(Math.max(cells, 1)));
    }
  });

  it('with noise, each shot a trajectory: matches the exact density matrix of the same channels (chi-square)', async () => {
    // No measurement in the middle, so the exact noisy distribution is the density matrix's.
    const program = parseQasmProgram(`${HEAD}qreg q[3];\nh q[0];\nu3(1.1, 0.3, -0.7) q[1];\ncx q[0], q[1];\nrzz(0.8) q[1], q[2];\nccx q[0], q[1], q[2];\nsx q[2];\n`);
    const model = { p: 0.08, p2: 0.15, readout: 0.1, placement: fileGatePlacement(program) };
    const exact = (await noisyProbabilities(program.circuit, { rows: 1 }, model, { method: 'density-matrix' })).probabilities;
    const shots = 20000;
    const r = simulateProgramShots(program, { shots, seed: 2, noise: noiseSchedule(program.circuit, model) });
    let chi2 = 0, cells = -1;
    exact.forEach((p, k) => {
      chi2 += (r.counts[k] - p * shots) ** 2 / (p * shots);
      cells++;
    });
    expect(chi2, `counts ${Array.from(r.counts)} vs ${Array.from(exact, (p) => (p * shots).toFixed(0))}`).toBeLessThan(bound(cells));
    // Without the noise the distribution is another one: the test can tell them apart.
    const clean = simulateProgramShots(program, { shots, seed: 2 });
    let chiClean = 0;
    exact.forEach((p, k) => (chiClean += (clean.counts[k] - p * shots) ** 2 / (p * shots)));
    expect(chiClean).toBeGreaterThan(10 * bound(cells));
  });

  it('is reproducible for a seed and names bad arguments', () => {
    const program = parseQasmProgram(`${HEAD}qreg q[1];\ncreg c[1];\nh q[0];\nmeasure q[0] -> c[0];\nh q[0];\n`);
    const a = simulateProgramShots(program, { shots: 1000, seed: 5 });
    expect(simulateProgramShots(program, { shots: 1000, seed: 5 })).toEqual(a);
    expect(simulateProgramShots(program, { shots: 1000, seed: 6 }).counts).not.toEqual(a.counts);
    expect(() => simulateProgramShots(program, { shots: 0 })).toThrow(/shots.*1 to/);
    expect(() => simulateProgramShots(program, { shots: 10, seed: -1 })).toThrow(/seed/);
  });
});
