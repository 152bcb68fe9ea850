import { GATES, controlMask, derivativeMatrix, targetMatrix, targetWire, type Matrix2 } from '../circuit/gates.js';
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

/**
 * A gate of a dense block in the block's local index space (L = 2^k amplitudes): a 2x2 matrix m
 * on local bit `t` where the local bits `c` are set, or (swap) the exchange of local bits a and b.
 */
export interface LocalGate {
  swap: boolean;
  t: number;
  c: number;
  m: Matrix2;
  /** dm/dtheta = m(theta + pi) / 2 for a gate that reads trainable parameter `param`, else null. */
  dm: Matrix2 | null;
  param: number;
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
   * The block's gates in order, kept when one reads a trainable parameter: its gradient is
   * Re tr(dG_j P_j C A_j) with P_j the gates before it, A_j those after it and C the sum over
   * samples and groups of psi_in lambda_out^dagger (paramGradient in chunk.ts).
   */
  gates: LocalGate[] | null;
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

function localBit(qubits: number[], k: number, q: number): number {
  return 1 << (k - 1 - qubits.indexOf(q));
}

/** 2^(n - 1 - q): the stride of qubit q in an n-qubit basis index. */
function stride(n: number, q: number): number {
  return 2 ** (n - 1 - q);
}

/** A gate of a dense block in the block's local bits (the first block qubit is the most significant). */
function localGate(op: Op, qubits: number[], params: ArrayLike<number> | undefined): LocalGate {
  const k = qubits.length;
  const angle = angleValue(op.angle, params);
  if (op.gate === 'swap') return { swap: true, t: localBit(qubits, k, op.wires[0]), c: localBit(qubits, k, op.wires[1]), m: [1, 0, 0, 0, 0, 0, 1, 0], dm: null, param: -1 };
  const param = op.angle?.kind === 'param' ? op.angle.index : -1;
  let c = 0;
  for (let w = 0; w < GATES[op.gate].controls; w++) c |= localBit(qubits, k, op.wires[w]);
  return {
    swap: false,
    t: localBit(qubits, k, targetWire(op)),
    c,
    m: targetMatrix(op.gate, angle),
    dm: param >= 0 ? derivativeMatrix(op.gate, angle) : null,
    param,
  };
}

/** An L x L complex matrix, row-major. */
export interface Square {
  re: Float64Array;
  im: Float64Array;
}

/**
 * The gate on the lines of M: rows (M <- G M) or, with `columns`, columns with the conjugated
 * matrix (M <- M G^dagger: (M G^dagger)[x][i] = conj(m00) M[x][i] + conj(m01) M[x][j], and so on).
 */
function gateLines(g: LocalGate, M: Square, L: number, columns: boolean): void {
  const { re, im } = M;
  const line = columns ? 1 : L, step = columns ? L : 1;
  const m = g.m;
  const sign = columns ? -1 : 1;
  for (let i = 0; i < L; i++) {
    const swap = g.swap;
    // swap: lines i (bit t set, bit c clear) and i ^ t ^ c exchange; else pairs (i, i | t) with the control bits set.
    if (swap ? (i & g.t) === 0 || (i & g.c) !== 0 : (i & g.t) !== 0 || (i & g.c) !== g.c) continue;
    const j = swap ? i ^ g.t ^ g.c : i | g.t;
    for (let x = 0; x < L; x++) {
      const a = i * line + x * step, b = j * line + x * step;
      const ar = re[a], ai = im[a], br = re[b], bi = im[b];
      if (swap) {
        re[a] = br;
        im[a] = bi;
        re[b] = ar;
        im[b] = ai;
        continue;
      }
      const m1 = sign * m[1], m3 = sign * m[3], m5 = sign * m[5], m7 = sign * m[7];
      re[a] = m[0] * ar - m1 * ai + m[2] * br - m3 * bi;
      im[a] = m[0] * ai + m1 * ar + m[2] * bi + m3 * br;
      re[b] = m[4] * ar - m5 * ai + m[6] * br - m7 * bi;
      im[b] = m[4] * ai + m5 * ar + m[6] * bi + m7 * br;
    }
  }
}

/** M <- G M: the gate on the rows of M. */
export function gateRows(g: LocalGate, M: Square, L: number): void {
  gateLines(g, M, L, false);
}

/** M <- M G^dagger: the gate's adjoint on the columns of M. */
export function gateColumnsDagger(g: LocalGate, M: Square, L: number): void {
  gateLines(g, M, L, true);
}

/** a b for L x L complex matrices. */
export function multiply(a: Square, b: Square, L: number): Square {
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

/** Re tr(dG M) for a gate's derivative dG (zero where its control bits are clear). */
export function traceDerivative(g: LocalGate, M: Square, L: number): number {
  const d = g.dm!;
  const { re, im } = M;
  let s = 0;
  for (let i = 0; i < L; i++) {
    if ((i & g.t) !== 0 || (i & g.c) !== g.c) continue;
    const j = i | g.t;
    // tr(dG M) over the pair: d00 M[i][i] + d01 M[j][i] + d10 M[i][j] + d11 M[j][j]
    s += d[0] * re[i * L + i] - d[1] * im[i * L + i];
    s += d[2] * re[j * L + i] - d[3] * im[j * L + i];
    s += d[4] * re[i * L + j] - d[5] * im[i * L + j];
    s += d[6] * re[j * L + j] - d[7] * im[j * L + j];
  }
  return s;
}

/** The phase terms of fixed diagonal gates on an n-qubit state. */
export function phaseTerms(ops: Op[], n: number): PhaseTerms {
  const masks: number[] = [];
  const re: number[] = [];
  const im: number[] = [];
  for (const op of ops) {
    const t = stride(n, targetWire(op));
    const c = controlMask(op, n);
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
  if (pass.kind === 'diagonal') return { kind: 'diagonal', terms: phaseTerms(pass.ops, n) };
  if (pass.kind === 'sample') {
    const angle = pass.op.angle as { kind: 'feature'; index: number };
    return {
      kind: 'sample',
      gate: pass.op.gate,
      feature: angle.index,
      target: stride(n, targetWire(pass.op)),
      control: controlMask(pass.op, n),
    };
  }
  const L = 1 << pass.qubits.length;
  const gates: LocalGate[] = [];
  for (const op of pass.ops) gates.push(localGate(op, pass.qubits, params));
  const B: Square = { re: new Float64Array(L * L), im: new Float64Array(L * L) };
  for (let i = 0; i < L; i++) B.re[i * L + i] = 1;
  for (const g of gates) gateRows(g, B, L);
  return {
    kind: 'dense',
    strides: pass.qubits.map((q) => stride(n, q)),
    re: B.re,
    im: real ? null : B.im,
    pre: pass.pre.length > 0 ? phaseTerms(pass.pre, n) : null,
    gates: pass.hasParams ? gates : null,
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
    if (p.kind === 'dense' && p.gates) gradPasses.push(i);
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
