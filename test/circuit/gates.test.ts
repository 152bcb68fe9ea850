/**
 * The gate table (src/circuit/gates.ts) against the matrices themselves: the flags the kernels
 * rely on (real, diagonal, axis, controls) and the derivative matrices of the adjoint method.
 */
import { describe, expect, it } from 'vitest';
import { GATES, controlMask, derivativeMatrix, targetMatrix, targetWire } from '../../src/circuit/gates.js';
import type { Circuit, GateName } from '../../src/circuit/types.js';
import { validateCircuit } from '../../src/circuit/validate.js';
import { QmoeInputError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/random.js';

const NAMES = (Object.keys(GATES) as GateName[]).filter((g) => g !== 'swap');
const rng = mulberry32(17);
const angles = () => Array.from({ length: 6 }, () => (rng() * 2 - 1) * 2 * Math.PI);

describe('GATES', () => {
  it.each(NAMES)('%s: flags match its matrix; unitary', (g) => {
    const info = GATES[g];
    for (const a of info.parametric ? angles() : [0]) {
      const m = targetMatrix(g, a);
      const offDiagonal = Math.hypot(m[2], m[3], m[4], m[5]);
      const imaginary = Math.hypot(m[1], m[3], m[5], m[7]);
      if (info.diagonal) expect(offDiagonal, `${g}(${a})`).toBe(0);
      if (info.real) expect(imaginary, `${g}(${a})`).toBe(0);
      // Unitary: columns orthonormal.
      const c0 = m[0] ** 2 + m[1] ** 2 + m[4] ** 2 + m[5] ** 2;
      const c1 = m[2] ** 2 + m[3] ** 2 + m[6] ** 2 + m[7] ** 2;
      const dotRe = m[0] * m[2] + m[1] * m[3] + m[4] * m[6] + m[5] * m[7];
      const dotIm = m[0] * m[3] - m[1] * m[2] + m[4] * m[7] - m[5] * m[6];
      expect(Math.abs(c0 - 1) + Math.abs(c1 - 1) + Math.abs(dotRe) + Math.abs(dotIm)).toBeLessThan(1e-15);
    }
    // The flags are not merely permissive: a gate not flagged diagonal/real is not, at some angle.
    const all = info.parametric ? angles() : [0];
    if (!info.diagonal) expect(Math.max(...all.map((a) => { const m = targetMatrix(g, a); return Math.hypot(m[2], m[3], m[4], m[5]); }))).toBeGreaterThan(0);
    if (!info.real) expect(Math.max(...all.map((a) => { const m = targetMatrix(g, a); return Math.hypot(m[1], m[3], m[5], m[7]); }))).toBeGreaterThan(0);
    expect(info.arity).toBe(info.controls + 1);
  });

  it.each(NAMES.filter((g) => GATES[g].parametric))('%s: derivativeMatrix is dU/dangle (central differences)', (g) => {
    const h = 1e-6;
    for (const a of angles()) {
      const d = derivativeMatrix(g, a);
      const up = targetMatrix(g, a + h), down = targetMatrix(g, a - h);
      d.forEach((v, i) => expect(Math.abs(v - (up[i] - down[i]) / (2 * h)), `${g}(${a}) entry ${i}`).toBeLessThan(1e-9));
    }
  });

  it('rotations with an axis are exp(-i a P / 2)', () => {
    const pauli: Record<number, number[]> = { 0: [0, 0, 1, 0, 1, 0, 0, 0], 1: [0, 0, 0, -1, 0, 1, 0, 0], 2: [1, 0, 0, 0, 0, 0, -1, 0] };
    for (const g of NAMES.filter((n) => GATES[n].axis !== undefined)) {
      const a = 0.7;
      const p = pauli[GATES[g].axis!];
      // exp(-i a P / 2) = cos(a/2) I - i sin(a/2) P
      const want = [0, 1, 2, 3].flatMap((k) => {
        const id = k === 0 || k === 3 ? 1 : 0;
        return [Math.cos(a / 2) * id + Math.sin(a / 2) * p[2 * k + 1], -Math.sin(a / 2) * p[2 * k]];
      });
      targetMatrix(g, a).forEach((v, i) => expect(v, g).toBeCloseTo(want[i], 15));
    }
  });

  it('finds the target and control bits of multi-controlled gates', () => {
    expect(targetWire({ gate: 'c4x', wires: [4, 0, 3, 1, 2] })).toBe(2);
    // qubit q is the bit 2^(n-1-q) of a basis index
    expect(controlMask({ gate: 'c4x', wires: [4, 0, 3, 1, 2] }, 5)).toBe(1 + 16 + 2 + 8);
    expect(controlMask({ gate: 'cp', wires: [1, 0], angle: { kind: 'const', value: 1 } }, 3)).toBe(2);
    expect(controlMask({ gate: 'sx', wires: [0] }, 3)).toBe(0);
  });

  it('validation: distinct wires, the arity of each gate, features only on rotations', () => {
    const c = (op: Circuit['ops'][number]): Circuit => ({ qubits: 4, features: 1, params: 1, ops: [op] });
    expect(() => validateCircuit(c({ gate: 'ccx', wires: [0, 1, 0] }))).toThrow(/wires of a gate must differ/);
    expect(() => validateCircuit(c({ gate: 'ccx', wires: [0, 1] }))).toThrow(/ccx acts on 3 wire/);
    expect(() => validateCircuit(c({ gate: 'p', wires: [0], angle: { kind: 'feature', index: 0 } }))).toThrow(QmoeInputError);
    expect(() => validateCircuit(c({ gate: 'p', wires: [0], angle: { kind: 'feature', index: 0 } }))).toThrow(/p cannot read an input feature/);
    expect(validateCircuit(c({ gate: 'cp', wires: [0, 3], angle: { kind: 'param', index: 0 } })).ops).toHaveLength(1);
    expect(validateCircuit(c({ gate: 'crx', wires: [0, 3], angle: { kind: 'feature', index: 0 } })).ops).toHaveLength(1);
  });
});
