import { GATES, targetMatrix, type Matrix2 } from '../circuit/gates.js';
import type { Angle, Op } from '../circuit/types.js';
import type { Pass, Program } from './program.js';

/**
 * A program with its angles bound to one parameter vector, in float64: every dense pass's
 * 2^k x 2^k matrix, the matrices its gradient needs, and the phase terms of the diagonal gates.
 * Cheap (independent of the batch): done once per call on the calling thread and sent to the
 * workers with the batch.
 */

/** Diagonal gates as phase terms: amplitude k is multiplied by every phase whose mask k covers. */
export interface PhaseTerms {
  masks: Int32Array;
  re: Float64Array;
  im: Float64Array;
}

export interface BoundDense {
  kind: 'dense';
  /** Strides of the block's qubits in the state index, the most significant local bit first. */
  strides: number[];
  /** The block's matrix B (row-major, L x L, L = 2^k); im is null for real programs. */
  re: Float64Array;
  im: Float64Array | null;
  /** Diagonal applied before B, or null. */
  pre: PhaseTerms | null;
  /**
   * For each gate of the block that reads a trainable parameter: X = A dG P, where P are the
   * block's gates before it and A those after it, so that its gradient contribution is
   * Re tr(X C) with C = sum over samples and groups of psi_in lambda_out^dagger (src/cpu/kernels.ts).
   */
  grads: { param: number; re: Float64Array; im: Float64Array | null }[];
}

export interface BoundDiagonal {
  kind: 'diagonal';
  terms: PhaseTerms;
}

/** A gate whose angle is input feature `feature`, on `target`, under `control` (a stride, 0 for none). */
export interface BoundSample {
  kind: 'sample';
  gate: Op['gate'];
  feature: number;
  target: number;
  control: number;
}

export type BoundPass = BoundDense | BoundDiagonal | BoundSample;

/** One op of a qubit's product-state prefix: a fixed 2x2 matrix or a rotation by a feature. */
export type PrefixStep = { kind: 'fixed'; m: Matrix2 } | { kind: 'feature'; gate: Op['gate']; feature: number };

export interface BoundProgram {
  qubits: number;
  features: number;
  params: number;
  real: boolean;
  prefix: PrefixStep[][] | null;
  passes: BoundPass[];
  /** Dense passes with trainable parameters: their index in `passes`, in order. */
  gradPasses: number[];
}

function angleValue(angle: Angle | undefined, params: ArrayLike<number> | undefined): number {
  if (!angle) return 0;
  if (angle.kind === 'const') return angle.value;
  if (angle.kind === 'param') return params![angle.index];
  throw new Error('a feature angle has no shared value');
}

/** The gate as an L x L complex matrix on the block's qubits (its derivative when `derivative`). */
function blockMatrix(op: Op, qubits: number[], angle: number, derivative: boolean): { re: Float64Array; im: Float64Array } {
  const k = qubits.length;
  const L = 1 << k;
  const re = new Float64Array(L * L);
  const im = new Float64Array(L * L);
  const bit = (q: number) => 1 << (k - 1 - qubits.indexOf(q));
  if (op.gate === 'swap') {
    const a = bit(op.wires[0]), b = bit(op.wires[1]);
    for (let c = 0; c < L; c++) {
      const r = ((c & a) !== 0) === ((c & b) !== 0) ? c : c ^ a ^ b;
      re[r * L + c] = 1;
    }
    return { re, im };
  }
  const controlled = GATES[op.gate].controlled;
  const t = bit(op.wires[controlled ? 1 : 0]);
  const cb = controlled ? bit(op.wires[0]) : 0;
  const m = derivative ? targetMatrix(op.gate, angle + Math.PI).map((v) => v / 2) : targetMatrix(op.gate, angle);
  for (let i = 0; i < L; i++) {
    if ((i & t) !== 0) continue;
    const j = i | t;
    if ((i & cb) !== cb) {
      if (!derivative) {
        re[i * L + i] = 1;
        re[j * L + j] = 1;
      }
      continue;
    }
    re[i * L + i] = m[0];
    im[i * L + i] = m[1];
    re[i * L + j] = m[2];
    im[i * L + j] = m[3];
    re[j * L + i] = m[4];
    im[j * L + i] = m[5];
    re[j * L + j] = m[6];
    im[j * L + j] = m[7];
  }
  return { re, im };
}

/** a b for L x L complex matrices. */
function multiply(a: { re: Float64Array; im: Float64Array }, b: { re: Float64Array; im: Float64Array }, L: number) {
  const re = new Float64Array(L * L);
  const im = new Float64Array(L * L);
  for (let r = 0; r < L; r++) {
    for (let c = 0; c < L; c++) {
      let sr = 0, si = 0;
      for (let x = 0; x < L; x++) {
        const ar = a.re[r * L + x], ai = a.im[r * L + x], br = b.re[x * L + c], bi = b.im[x * L + c];
        sr += ar * br - ai * bi;
        si += ar * bi + ai * br;
      }
      re[r * L + c] = sr;
      im[r * L + c] = si;
    }
  }
  return { re, im };
}

function identity(L: number) {
  const re = new Float64Array(L * L);
  for (let i = 0; i < L; i++) re[i * L + i] = 1;
  return { re, im: new Float64Array(L * L) };
}

/** The phase terms of fixed diagonal gates on an n-qubit state. */
export function phaseTerms(ops: Op[], n: number): PhaseTerms {
  const masks: number[] = [];
  const re: number[] = [];
  const im: number[] = [];
  const stride = (q: number) => 2 ** (n - 1 - q);
  for (const op of ops) {
    const controlled = GATES[op.gate].controlled;
    const t = stride(op.wires[controlled ? 1 : 0]);
    const c = controlled ? stride(op.wires[0]) : 0;
    const m = targetMatrix(op.gate, angleValue(op.angle, undefined));
    // diag(m00, m11) on the target where the control is set: m00 on the subspace, then m11 / m00 where the target is 1.
    const d0r = m[0], d0i = m[1], d1r = m[6], d1i = m[7];
    if (d0r !== 1 || d0i !== 0) {
      masks.push(c);
      re.push(d0r);
      im.push(d0i);
    }
    const den = d0r * d0r + d0i * d0i;
    masks.push(c | t);
    re.push((d1r * d0r + d1i * d0i) / den);
    im.push((d1i * d0r - d1r * d0i) / den);
  }
  return { masks: Int32Array.from(masks), re: Float64Array.from(re), im: Float64Array.from(im) };
}

function bindPass(pass: Pass, n: number, real: boolean, params: ArrayLike<number> | undefined): BoundPass {
  const stride = (q: number) => 2 ** (n - 1 - q);
  if (pass.kind === 'diagonal') return { kind: 'diagonal', terms: phaseTerms(pass.ops, n) };
  if (pass.kind === 'sample') {
    const controlled = GATES[pass.op.gate].controlled;
    const angle = pass.op.angle as { kind: 'feature'; index: number };
    return {
      kind: 'sample',
      gate: pass.op.gate,
      feature: angle.index,
      target: stride(pass.op.wires[controlled ? 1 : 0]),
      control: controlled ? stride(pass.op.wires[0]) : 0,
    };
  }
  const L = 1 << pass.qubits.length;
  const gates = pass.ops.map((op) => blockMatrix(op, pass.qubits, angleValue(op.angle, params), false));
  // before[j] = G_{j-1} ... G_1, after[j] = G_t ... G_{j+1}.
  const before = [identity(L)];
  for (const g of gates) before.push(multiply(g, before[before.length - 1], L));
  const full = before[gates.length];
  const grads: BoundDense['grads'] = [];
  if (pass.hasParams) {
    const after: { re: Float64Array; im: Float64Array }[] = new Array(gates.length);
    let acc = identity(L);
    for (let j = gates.length - 1; j >= 0; j--) {
      after[j] = acc;
      acc = multiply(acc, gates[j], L);
    }
    pass.ops.forEach((op, j) => {
      if (op.angle?.kind !== 'param') return;
      const d = blockMatrix(op, pass.qubits, angleValue(op.angle, params), true);
      const x = multiply(multiply(after[j], d, L), before[j], L);
      grads.push({ param: op.angle.index, re: x.re, im: real ? null : x.im });
    });
  }
  return {
    kind: 'dense',
    strides: pass.qubits.map(stride),
    re: full.re,
    im: real ? null : full.im,
    pre: pass.pre.length > 0 ? phaseTerms(pass.pre, n) : null,
    grads,
  };
}

function bindPrefix(ops: Op[], params: ArrayLike<number> | undefined): PrefixStep[] {
  return ops.map((op) =>
    op.angle?.kind === 'feature' ? { kind: 'feature', gate: op.gate, feature: op.angle.index } : { kind: 'fixed', m: targetMatrix(op.gate, angleValue(op.angle, params)) },
  );
}

/** Binds a program to parameters (validated by the caller). */
export function bindProgram(program: Program, params: ArrayLike<number> | undefined): BoundProgram {
  const passes = program.passes.map((p) => bindPass(p, program.qubits, program.real, params));
  const gradPasses: number[] = [];
  passes.forEach((p, i) => {
    if (p.kind === 'dense' && p.grads.length > 0) gradPasses.push(i);
  });
  return {
    qubits: program.qubits,
    features: program.features,
    params: program.params,
    real: program.real,
    prefix: program.prefix ? program.prefix.map((ops) => bindPrefix(ops, params)) : null,
    passes,
    gradPasses,
  };
}
