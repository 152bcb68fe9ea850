import type { GateName } from './types.js';

export interface GateInfo {
  /** Number of wires: 1 or 2. */
  arity: 1 | 2;
  /** Takes an angle. */
  parametric: boolean;
  /** Every matrix entry is real for every angle (lets a circuit use the real-only kernels). */
  real: boolean;
  /** Kind of two-qubit gate: controlled single-qubit gate or swap. */
  controlled: boolean;
}

export const GATES: Readonly<Record<GateName, GateInfo>> = {
  h: { arity: 1, parametric: false, real: true, controlled: false },
  x: { arity: 1, parametric: false, real: true, controlled: false },
  y: { arity: 1, parametric: false, real: false, controlled: false },
  z: { arity: 1, parametric: false, real: true, controlled: false },
  s: { arity: 1, parametric: false, real: false, controlled: false },
  t: { arity: 1, parametric: false, real: false, controlled: false },
  rx: { arity: 1, parametric: true, real: false, controlled: false },
  ry: { arity: 1, parametric: true, real: true, controlled: false },
  rz: { arity: 1, parametric: true, real: false, controlled: false },
  cnot: { arity: 2, parametric: false, real: true, controlled: true },
  cz: { arity: 2, parametric: false, real: true, controlled: true },
  swap: { arity: 2, parametric: false, real: true, controlled: false },
  crx: { arity: 2, parametric: true, real: false, controlled: true },
  cry: { arity: 2, parametric: true, real: true, controlled: true },
  crz: { arity: 2, parametric: true, real: false, controlled: true },
};

export function isGateName(name: string): name is GateName {
  return Object.prototype.hasOwnProperty.call(GATES, name);
}

/** 2x2 complex matrix, row-major: [m00re, m00im, m01re, m01im, m10re, m10im, m11re, m11im]. */
export type Matrix2 = [number, number, number, number, number, number, number, number];

const SQRT1_2 = Math.SQRT1_2;

/**
 * The single-qubit matrix a gate applies to its target (for controlled gates: when the control
 * is 1). Swap has none. Angles follow qelib1: RX(a) = exp(-i a X / 2), and so on.
 */
export function targetMatrix(gate: GateName, angle = 0): Matrix2 {
  const c = Math.cos(angle / 2);
  const s = Math.sin(angle / 2);
  switch (gate) {
    case 'h':
      return [SQRT1_2, 0, SQRT1_2, 0, SQRT1_2, 0, -SQRT1_2, 0];
    case 'x':
    case 'cnot':
      return [0, 0, 1, 0, 1, 0, 0, 0];
    case 'y':
      return [0, 0, 0, -1, 0, 1, 0, 0];
    case 'z':
    case 'cz':
      return [1, 0, 0, 0, 0, 0, -1, 0];
    case 's':
      return [1, 0, 0, 0, 0, 0, 0, 1];
    case 't':
      return [1, 0, 0, 0, 0, 0, SQRT1_2, SQRT1_2];
    case 'rx':
    case 'crx':
      return [c, 0, 0, -s, 0, -s, c, 0];
    case 'ry':
    case 'cry':
      return [c, 0, -s, 0, s, 0, c, 0];
    case 'rz':
    case 'crz':
      return [c, -s, 0, 0, 0, 0, c, s];
    case 'swap':
      throw new Error('swap has no single-qubit target matrix');
  }
}
