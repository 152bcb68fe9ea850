import { controlMask, targetMatrix, targetWire, type Matrix2 } from '../circuit/gates.js';
import type { Circuit, Op } from '../circuit/types.js';
import type { BatchInput } from './backend.js';
import { resolveAngle } from './input.js';

/**
 * What an op does to an n-qubit state for one input row: swap two bits, or apply `matrix` to the
 * bit `target` where every bit of `mask` is set. `angle` is the op's resolved angle (0 without).
 */
export type GateAction = { swap: [number, number]; angle: 0 } | { target: number; mask: number; matrix: Matrix2; angle: number };

/** The action of `op` of an n-qubit circuit for input row `row` (features `width` wide). */
export function gateAction(op: Op, qubits: number, input: BatchInput, width: number, row: number): GateAction {
  // No closure here: this runs for every op of every row (and tsx wraps each closure it makes).
  if (op.gate === 'swap') return { swap: [2 ** (qubits - 1 - op.wires[0]), 2 ** (qubits - 1 - op.wires[1])], angle: 0 };
  const angle = op.angle ? resolveAngle(op.angle, input, width, row) : 0;
  return { target: 2 ** (qubits - 1 - targetWire(op)), mask: controlMask(op, qubits), matrix: targetMatrix(op.gate, angle), angle };
}

/** Applies a single-qubit matrix to the bit with value `stride`, only where `controlMask` bits are set. */
export function applyMatrix(psi: Float64Array, dim: number, stride: number, controlMask: number, m: Matrix2): void {
  for (let i = 0; i < dim; i++) {
    if ((i & stride) !== 0 || (i & controlMask) !== controlMask) continue;
    const j = i | stride;
    const ar = psi[2 * i], ai = psi[2 * i + 1], br = psi[2 * j], bi = psi[2 * j + 1];
    psi[2 * i] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi;
    psi[2 * i + 1] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br;
    psi[2 * j] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi;
    psi[2 * j + 1] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br;
  }
}

/** Swaps the amplitudes of the bits `sa` and `sb`. */
export function applySwap(psi: Float64Array, dim: number, sa: number, sb: number): void {
  for (let i = 0; i < dim; i++) {
    if ((i & sa) !== 0 || (i & sb) === 0) continue;
    const j = i ^ sa ^ sb;
    const r = psi[2 * i], im = psi[2 * i + 1];
    psi[2 * i] = psi[2 * j];
    psi[2 * i + 1] = psi[2 * j + 1];
    psi[2 * j] = r;
    psi[2 * j + 1] = im;
  }
}

/** Runs `circuit` on |0...0> for input row `row` and writes the state into `psi` (2 * 2^n doubles). */
export function simulateRow(circuit: Circuit, input: BatchInput, row: number, psi: Float64Array): void {
  const dim = 2 ** circuit.qubits;
  psi.fill(0);
  psi[0] = 1;
  for (const op of circuit.ops) {
    const a = gateAction(op, circuit.qubits, input, circuit.features, row);
    if ('swap' in a) applySwap(psi, dim, a.swap[0], a.swap[1]);
    else applyMatrix(psi, dim, a.target, a.mask, a.matrix);
  }
}
