import { targetMatrix, type Matrix2 } from '../circuit/gates.js';
import { QmoeInputError } from '../errors.js';
import type { BatchInput } from '../sim/backend.js';
import { applyMatrix, gateAction } from '../sim/statevector-cpu.js';
import type { NoiseSchedule } from './model.js';

/** Most qubits of the exact (density-matrix) path on the CPU: rho is 4^n complex float64 (16 MiB at 10). */
export const DENSITY_CPU_MAX_QUBITS = 10;

export function checkDensityQubits(qubits: number, max: number, where: string): void {
  if (qubits > max) {
    throw new QmoeInputError(
      'circuit.qubits',
      qubits,
      `the exact density-matrix path (${where}) holds 4^n complex numbers per sample and serves at most ${max} qubits; use trajectories for larger circuits`,
    );
  }
}

function conj(m: Matrix2): Matrix2 {
  return [m[0], -m[1], m[2], -m[3], m[4], -m[5], m[6], -m[7]];
}

/**
 * The one-qubit depolarizing channel on the qubit whose bit in an n-qubit index is `bit`, applied to
 * rho (dim x dim complex, row-major, interleaved): on each 2x2 block [[a, b], [c, d]] in that qubit,
 * a' = (1 - 2p/3) a + 2p/3 d, d' = (1 - 2p/3) d + 2p/3 a, b' = (1 - 4p/3) b, c' = (1 - 4p/3) c,
 * which is (1 - p) rho + p/3 (X rho X + Y rho Y + Z rho Z).
 */
export function depolarize1(rho: Float64Array, dim: number, bit: number, p: number): void {
  const keep = 1 - (2 * p) / 3;
  const move = (2 * p) / 3;
  const off = 1 - (4 * p) / 3;
  for (let r = 0; r < dim; r++) {
    if (r & bit) continue;
    for (let c = 0; c < dim; c++) {
      if (c & bit) continue;
      const i00 = r * dim + c, i01 = r * dim + (c | bit), i10 = (r | bit) * dim + c, i11 = (r | bit) * dim + (c | bit);
      for (let part = 0; part < 2; part++) {
        const a = rho[2 * i00 + part], d = rho[2 * i11 + part];
        rho[2 * i00 + part] = keep * a + move * d;
        rho[2 * i11 + part] = keep * d + move * a;
        rho[2 * i01 + part] *= off;
        rho[2 * i10 + part] *= off;
      }
    }
  }
}

/**
 * The two-qubit depolarizing channel on the bits `ba`, `bb`: (1 - p) rho + p/15 sum over the 15
 * non-identity Pauli pairs P rho P = (1 - 16p/15) rho + 4p/15 Tr_ab(rho) (x) I_ab, i.e. on each
 * 4x4 block B in the two qubits: B' = (1 - 16p/15) B + 4p/15 tr(B) I.
 */
export function depolarize2(rho: Float64Array, dim: number, ba: number, bb: number, p: number): void {
  const keep = 1 - (16 * p) / 15;
  const add = (4 * p) / 15;
  const offs = [0, bb, ba, ba | bb];
  const both = ba | bb;
  for (let r = 0; r < dim; r++) {
    if (r & both) continue;
    for (let c = 0; c < dim; c++) {
      if (c & both) continue;
      for (let part = 0; part < 2; part++) {
        let trace = 0;
        for (const o of offs) trace += rho[2 * ((r | o) * dim + (c | o)) + part];
        for (const orow of offs) {
          for (const ocol of offs) {
            const i = 2 * ((r | orow) * dim + (c | ocol)) + part;
            rho[i] = keep * rho[i] + (orow === ocol ? add * trace : 0);
          }
        }
      }
    }
  }
}

/** Readout error in place on `probs` (2^n at `offset`): every bit flips with probability r. */
export function applyReadout(probs: Float64Array | Float32Array, offset: number, qubits: number, r: number): void {
  if (r === 0) return;
  const dim = 2 ** qubits;
  for (let q = 0; q < qubits; q++) {
    const bit = 2 ** (qubits - 1 - q);
    for (let k = 0; k < dim; k++) {
      if (k & bit) continue;
      const a = probs[offset + k], b = probs[offset + (k | bit)];
      probs[offset + k] = (1 - r) * a + r * b;
      probs[offset + (k | bit)] = r * a + (1 - r) * b;
    }
  }
}

/**
 * The final density matrix of input row `row` (dim x dim complex, interleaved, row-major) into
 * `rho`. rho is treated as a 2n-qubit vector |rho>> (row bits high, column bits low), so U rho U^+
 * is U on the row bits and conj(U) on the column bits (the CPU reference's applyMatrix).
 */
export function densityRow(schedule: NoiseSchedule, input: BatchInput, row: number, rho: Float64Array): void {
  const { circuit } = schedule;
  const n = circuit.qubits;
  const dim = 2 ** n;
  const dim2 = dim * dim;
  rho.fill(0);
  rho[0] = 1;
  const bit = (q: number) => 2 ** (n - 1 - q);
  for (const step of schedule.steps) {
    if (step.kind === 'channel1') {
      if (step.p > 0) depolarize1(rho, dim, bit(step.wire), step.p);
      continue;
    }
    if (step.kind === 'channel2') {
      if (step.p > 0) depolarize2(rho, dim, bit(step.wires[0]), bit(step.wires[1]), step.p);
      continue;
    }
    const act = gateAction(circuit.ops[step.op], n, input, circuit.features, row);
    if ('swap' in act) {
      // A swap is three CNOTs.
      const x = targetMatrix('cnot');
      const [a, b] = act.swap;
      for (const [c, t] of [[a, b], [b, a], [a, b]]) {
        applyMatrix(rho, dim2, t * dim, c * dim, x);
        applyMatrix(rho, dim2, t, c, x);
      }
      continue;
    }
    applyMatrix(rho, dim2, act.target * dim, act.mask * dim, act.matrix);
    applyMatrix(rho, dim2, act.target, act.mask, conj(act.matrix));
  }
}

/**
 * Exact noisy basis-state probabilities (the diagonal of rho, then readout error), rows x 2^n,
 * float64. Inputs must be validated by the caller.
 */
export function densityProbabilitiesCpu(schedule: NoiseSchedule, input: BatchInput): Float64Array {
  const n = schedule.circuit.qubits;
  checkDensityQubits(n, DENSITY_CPU_MAX_QUBITS, 'CPU');
  const dim = 2 ** n;
  const rho = new Float64Array(2 * dim * dim);
  const out = new Float64Array(input.rows * dim);
  for (let r = 0; r < input.rows; r++) {
    densityRow(schedule, input, r, rho);
    for (let k = 0; k < dim; k++) out[r * dim + k] = rho[2 * (k * dim + k)];
    applyReadout(out, r * dim, n, schedule.readout);
  }
  return out;
}
