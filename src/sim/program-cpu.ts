import { controlMask, targetMatrix, targetWire } from '../circuit/gates.js';
import type { QasmCondition, QasmProgram } from '../circuit/qasm/program.js';
import { QmoeInputError, checkInt } from '../errors.js';
import { Rng } from '../data/rng.js';
import type { NoiseSchedule } from '../noise/model.js';
import { applyDrawnPauli, drawPauli, trajectoryPrefix } from '../noise/trajectories-cpu.js';
import { CPU_MAX_QUBITS } from './backend-cpu.js';
import { applyMatrix, applySwap } from './statevector-cpu.js';

/** Most shots of one call. */
export const MAX_PROGRAM_SHOTS = 1 << 24;

export interface ProgramShotOptions {
  shots: number;
  /** u32 seed of the outcomes (and of the noise); default 0. */
  seed?: number;
  /**
   * Noise: the channels of this schedule of program.circuit (e.g. noiseSchedule(circuit,
   * { p, placement: fileGatePlacement(program) })), each shot one Monte-Carlo trajectory whose
   * Paulis come from the counter-based hash of (seed, trajectory = shot, channel), as in
   * src/noise/trajectories-cpu.ts; its readout error flips every recorded bit and every bit of
   * the final basis state.
   */
  noise?: NoiseSchedule;
}

export interface ProgramShotResult {
  shots: number;
  /** Shots ending in each basis state (as if every qubit were measured at the end), 2^n long. */
  counts: Uint32Array;
  /** counts / shots. */
  frequencies: Float64Array;
  /**
   * Shots per value of the classical bits (all cregs in declaration order), as a string of 0s and
   * 1s with classical bit 0 first (the first creg's bit 0 leftmost, like qubit 0 in basis labels).
   */
  classical: Record<string, number>;
}

/**
 * Runs a program with measurements, resets and `if` in the middle `shots` times on the CPU in
 * float64, sampling each measurement's collapse. Shots that have seen the same outcomes so far
 * share one state: at a measurement the shots on a branch split binomially (one uniform draw per
 * shot) between the two collapsed states, so the outcome statistics are those of independent
 * shots while a program with m measurements costs at most min(shots, 2^m) state simulations. The
 * smaller branch runs first on a copy, so at most log2(shots) states are alive at once. With
 * noise every shot is a trajectory of its own (shots x circuit cost).
 */
export function simulateProgramShots(program: QasmProgram, options: ProgramShotOptions): ProgramShotResult {
  const n = program.circuit.qubits;
  checkInt('circuit.qubits', n, 1, CPU_MAX_QUBITS);
  const shots = checkInt('shots', options.shots, 1, MAX_PROGRAM_SHOTS);
  const rng = new Rng(checkInt('seed', options.seed ?? 0, 0, 0xffffffff));
  const dim = 2 ** n;
  const bit = (q: number) => 2 ** (n - 1 - q);
  const ops = program.circuit.ops;
  const steps = program.steps;
  const counts = new Uint32Array(dim);
  const classical: Record<string, number> = {};
  const noise = options.noise;
  if (noise && noise.circuit !== program.circuit) throw new QmoeInputError('noise.circuit', 'another circuit', 'the noise schedule must be of program.circuit');
  const readout = noise?.readout ?? 0;
  // Per op, its gate step in the noise schedule (the channels after it follow it).
  const opStep = new Int32Array(ops.length + 1);
  if (noise) {
    noise.steps.forEach((st, i) => {
      if (st.kind === 'gate') opStep[st.op] = i;
    });
    opStep[ops.length] = noise.steps.length;
  }
  let prefix = 0;
  const channel = (psi: Float64Array, i: number) => {
    const st = noise!.steps[i];
    if (st.kind !== 'gate') applyDrawnPauli(psi, n, st, drawPauli(prefix, st));
  };
  const applyOp = (psi: Float64Array, op: (typeof ops)[number]) => {
    if (op.gate === 'swap') applySwap(psi, dim, bit(op.wires[0]), bit(op.wires[1]));
    else applyMatrix(psi, dim, bit(targetWire(op)), controlMask(op, n), targetMatrix(op.gate, op.angle?.kind === 'const' ? op.angle.value : 0));
  };

  const holds = (c: QasmCondition, bits: Uint8Array) => {
    let v = 0;
    for (let b = c.size - 1; b >= 0; b--) v = v * 2 + bits[c.offset + b];
    return v === c.value;
  };
  const oneProbability = (psi: Float64Array, s: number) => {
    let p = 0;
    for (let i = 0; i < dim; i++) if (i & s) p += psi[2 * i] ** 2 + psi[2 * i + 1] ** 2;
    return p;
  };
  /** Keeps the amplitudes with bit s equal to `outcome`, renormalized. */
  const collapse = (psi: Float64Array, s: number, outcome: number, p: number) => {
    const scale = 1 / Math.sqrt(p);
    for (let i = 0; i < dim; i++) {
      const keep = ((i & s) !== 0) === (outcome === 1);
      psi[2 * i] = keep ? psi[2 * i] * scale : 0;
      psi[2 * i + 1] = keep ? psi[2 * i + 1] * scale : 0;
    }
  };
  const finish = (psi: Float64Array, bits: Uint8Array, m: number) => {
    const cdf = new Float64Array(dim);
    let acc = 0;
    for (let k = 0; k < dim; k++) cdf[k] = acc += psi[2 * k] ** 2 + psi[2 * k + 1] ** 2;
    for (let t = 0; t < m; t++) {
      const target = rng.next() * acc;
      let lo = 0, hi = dim - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] > target) hi = mid;
        else lo = mid + 1;
      }
      if (readout > 0) for (let q = 0; q < n; q++) if (rng.next() < readout) lo ^= bit(q);
      counts[lo]++;
    }
    const key = Array.from(bits).join('');
    classical[key] = (classical[key] ?? 0) + m;
  };

  const run = (from: number, psi: Float64Array, bits: Uint8Array, m: number): void => {
    for (let i = from; i < steps.length; i++) {
      const step = steps[i];
      if (step.condition && !holds(step.condition, bits)) continue;
      if (step.kind === 'gates') {
        if (noise) {
          for (let k = opStep[step.start]; k < opStep[step.end]; k++) {
            const st = noise.steps[k];
            if (st.kind === 'gate') applyOp(psi, ops[st.op]);
            else channel(psi, k);
          }
        } else {
          for (let g = step.start; g < step.end; g++) applyOp(psi, ops[g]);
        }
        continue;
      }
      const s = bit(step.qubit);
      const p1 = Math.min(1, Math.max(0, oneProbability(psi, s)));
      let ones = 0;
      for (let t = 0; t < m; t++) if (rng.next() < p1) ones++;
      const record = (b: Uint8Array, outcome: number) => {
        // Readout error flips the recorded bit, not the collapse (shots are one each with noise).
        if (step.kind === 'measure' && step.clbit >= 0) b[step.clbit] = readout > 0 && rng.next() < readout ? 1 - outcome : outcome;
      };
      const settle = (state: Float64Array, outcome: number) => {
        collapse(state, s, outcome, outcome === 1 ? p1 : 1 - p1);
        // reset: measure, then flip a 1 back to 0.
        if (step.kind === 'reset' && outcome === 1) applyMatrix(state, dim, s, 0, targetMatrix('x'));
      };
      if (ones > 0 && ones < m) {
        const small = ones <= m - ones ? 1 : 0;
        const copy = Float64Array.from(psi);
        const copyBits = Uint8Array.from(bits);
        settle(copy, small);
        record(copyBits, small);
        run(i + 1, copy, copyBits, small === 1 ? ones : m - ones);
        m = small === 1 ? m - ones : ones;
        settle(psi, 1 - small);
        record(bits, 1 - small);
      } else {
        const outcome = ones === m ? 1 : 0;
        settle(psi, outcome);
        record(bits, outcome);
      }
    }
    finish(psi, bits, m);
  };

  if (program.circuit.ops.some((op) => op.angle && op.angle.kind !== 'const')) {
    throw new QmoeInputError('program.circuit', 'feature or param angles', 'shot simulation of a program runs constant angles only');
  }
  const fresh = () => {
    const psi = new Float64Array(2 * dim);
    psi[0] = 1;
    return psi;
  };
  if (!noise) {
    run(0, fresh(), new Uint8Array(program.clbits), shots);
  } else {
    for (let t = 0; t < shots; t++) {
      prefix = trajectoryPrefix(options.seed ?? 0, 0, 0, t);
      const psi = fresh();
      // Channels placed before the first op (ChannelPoint after: -1).
      for (let k = 0; k < opStep[0]; k++) channel(psi, k);
      run(0, psi, new Uint8Array(program.clbits), 1);
    }
  }
  const frequencies = Float64Array.from(counts, (c) => c / shots);
  return { shots, counts, frequencies, classical };
}
