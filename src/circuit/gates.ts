import type { GateName, Op } from './types.js';

export interface GateInfo {
  /** Number of wires: the controls, then the target (swap: its two wires). */
  arity: number;
  /** Control wires in front of the target (0 for uncontrolled gates and for swap). */
  controls: number;
  /** Takes an angle. */
  parametric: boolean;
  /** Every matrix entry is real for every angle (lets a circuit use the real-only kernels). */
  real: boolean;
  /** The matrix is diagonal for every angle: the gate only scales amplitudes (and commutes with other diagonal gates). */
  diagonal: boolean;
  /** Rotation gates exp(-i a P / 2): the axis of P (0 x, 1 y, 2 z). Only these may read input features. */
  axis?: 0 | 1 | 2;
  /** The qelib1.inc name toQasm writes. */
  qasm: string;
}

const g = (arity: number, controls: number, parametric: boolean, real: boolean, diagonal: boolean, qasm: string, axis?: 0 | 1 | 2): GateInfo =>
  axis === undefined ? { arity, controls, parametric, real, diagonal, qasm } : { arity, controls, parametric, real, diagonal, qasm, axis };

/** The gate list of the model: the one source of arity, controls, realness, diagonality and export names. */
export const GATES: Readonly<Record<GateName, GateInfo>> = {
  id: g(1, 0, false, true, true, 'id'),
  h: g(1, 0, false, true, false, 'h'),
  x: g(1, 0, false, true, false, 'x'),
  y: g(1, 0, false, false, false, 'y'),
  z: g(1, 0, false, true, true, 'z'),
  s: g(1, 0, false, false, true, 's'),
  sdg: g(1, 0, false, false, true, 'sdg'),
  t: g(1, 0, false, false, true, 't'),
  tdg: g(1, 0, false, false, true, 'tdg'),
  sx: g(1, 0, false, false, false, 'sx'),
  sxdg: g(1, 0, false, false, false, 'sxdg'),
  rx: g(1, 0, true, false, false, 'rx', 0),
  ry: g(1, 0, true, true, false, 'ry', 1),
  rz: g(1, 0, true, false, true, 'rz', 2),
  // u1 rather than p: every qelib1.inc has u1, only newer ones have p (the same matrix).
  p: g(1, 0, true, false, true, 'u1'),
  cnot: g(2, 1, false, true, false, 'cx'),
  cy: g(2, 1, false, false, false, 'cy'),
  cz: g(2, 1, false, true, true, 'cz'),
  ch: g(2, 1, false, true, false, 'ch'),
  csx: g(2, 1, false, false, false, 'csx'),
  crx: g(2, 1, true, false, false, 'crx', 0),
  cry: g(2, 1, true, true, false, 'cry', 1),
  crz: g(2, 1, true, false, true, 'crz', 2),
  cp: g(2, 1, true, false, true, 'cu1'),
  ccx: g(3, 2, false, true, false, 'ccx'),
  c3x: g(4, 3, false, true, false, 'c3x'),
  c4x: g(5, 4, false, true, false, 'c4x'),
  c3sqrtx: g(4, 3, false, false, false, 'c3sqrtx'),
  swap: g(2, 0, false, true, false, 'swap'),
};

/** Most wires of any gate of the model. */
export const MAX_ARITY = 5;

export function isGateName(name: string): name is GateName {
  return Object.prototype.hasOwnProperty.call(GATES, name);
}

/** The wire a (controlled) gate acts on: its last wire. Meaningless for swap. */
export function targetWire(op: Op): number {
  return op.wires[op.wires.length - 1];
}

/**
 * The control bits of an op on an n-qubit state as a mask of basis-index bits (qubit q is the bit
 * 2^(n-1-q)): the target matrix applies only to amplitude pairs whose index has all of them set.
 */
export function controlMask(op: Op, qubits: number): number {
  let mask = 0;
  const c = GATES[op.gate].controls;
  for (let k = 0; k < c; k++) mask += 2 ** (qubits - 1 - op.wires[k]);
  return mask;
}

/** 2x2 complex matrix, row-major: [m00re, m00im, m01re, m01im, m10re, m10im, m11re, m11im]. */
export type Matrix2 = [number, number, number, number, number, number, number, number];

const SQRT1_2 = Math.SQRT1_2;

/**
 * The single-qubit matrix a gate applies to its target (for controlled gates: when every control
 * is 1). Swap has none. Angles follow qelib1: RX(a) = exp(-i a X / 2), and so on; P(a) = u1(a) =
 * diag(1, e^{ia}); SX = sqrt(X) = [[1+i, 1-i], [1-i, 1+i]] / 2.
 */
export function targetMatrix(gate: GateName, angle = 0): Matrix2 {
  const c = Math.cos(angle / 2);
  const s = Math.sin(angle / 2);
  switch (gate) {
    case 'id':
      return [1, 0, 0, 0, 0, 0, 1, 0];
    case 'h':
    case 'ch':
      return [SQRT1_2, 0, SQRT1_2, 0, SQRT1_2, 0, -SQRT1_2, 0];
    case 'x':
    case 'cnot':
    case 'ccx':
    case 'c3x':
    case 'c4x':
      return [0, 0, 1, 0, 1, 0, 0, 0];
    case 'y':
    case 'cy':
      return [0, 0, 0, -1, 0, 1, 0, 0];
    case 'z':
    case 'cz':
      return [1, 0, 0, 0, 0, 0, -1, 0];
    case 's':
      return [1, 0, 0, 0, 0, 0, 0, 1];
    case 'sdg':
      return [1, 0, 0, 0, 0, 0, 0, -1];
    case 't':
      return [1, 0, 0, 0, 0, 0, SQRT1_2, SQRT1_2];
    case 'tdg':
      return [1, 0, 0, 0, 0, 0, SQRT1_2, -SQRT1_2];
    case 'sx':
    case 'csx':
    case 'c3sqrtx':
      return [0.5, 0.5, 0.5, -0.5, 0.5, -0.5, 0.5, 0.5];
    case 'sxdg':
      return [0.5, -0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.5];
    case 'rx':
    case 'crx':
      return [c, 0, 0, -s, 0, -s, c, 0];
    case 'ry':
    case 'cry':
      return [c, 0, -s, 0, s, 0, c, 0];
    case 'rz':
    case 'crz':
      return [c, -s, 0, 0, 0, 0, c, s];
    case 'p':
    case 'cp':
      return [1, 0, 0, 0, 0, 0, Math.cos(angle), Math.sin(angle)];
    case 'swap':
      throw new Error('swap has no single-qubit target matrix');
  }
}

/**
 * dU/dangle of a parametric gate's target matrix (zeros for fixed gates). Rotations
 * R(a) = exp(-i a P / 2) have entries linear in (cos(a/2), sin(a/2)), so dR/da = R(a + pi) / 2;
 * the phase gate has dP/da = diag(0, i e^{ia}).
 */
export function derivativeMatrix(gate: GateName, angle: number): Matrix2 {
  if (gate === 'p' || gate === 'cp') return [0, 0, 0, 0, 0, 0, -Math.sin(angle), Math.cos(angle)];
  if (!GATES[gate].parametric) return [0, 0, 0, 0, 0, 0, 0, 0];
  return targetMatrix(gate, angle + Math.PI).map((v) => v / 2) as Matrix2;
}
