import { derivativeMatrix, targetMatrix } from '../circuit/gates.js';
import type { GateName } from '../circuit/types.js';
import type { BoundDiagonal, BoundSample, PhaseTerms, PrefixStep } from './bind.js';
import { phaseAt } from './dense.js';
import type { ChunkState } from './layout.js';

/**
 * The per-sample kernels of the fast CPU engine over the chunk layout (layout.ts): the initial
 * state, diagonal passes, rotations by input features, and the adjoint sweep's versions of them.
 */

/**
 * cos(x) and sin(x) into out[0], out[1]: reduction to [-pi/4, pi/4] by multiples of pi/2 (two-part
 * pi/2, exact for |x| < 1e5), Taylor polynomials to degree 13/14 (error below 1e-14 there), then the
 * quadrant. About twice as fast as Math.cos plus Math.sin; used for every per-sample angle.
 */
export function sincos(x: number, out: Float64Array): void {
  const q = Math.round(x * 0.6366197723675814);
  const r = x - q * 1.5707963267948966 - q * 6.123233995736766e-17;
  const r2 = r * r;
  const s = r * (1 + r2 * (-1 / 6 + r2 * (1 / 120 + r2 * (-1 / 5040 + r2 * (1 / 362880 + r2 * (-1 / 39916800 + r2 / 6227020800))))));
  const c = 1 + r2 * (-0.5 + r2 * (1 / 24 + r2 * (-1 / 720 + r2 * (1 / 40320 + r2 * (-1 / 3628800 + r2 * (1 / 479001600 - r2 / 87178291200))))));
  const k = q & 3;
  out[0] = k === 0 ? c : k === 1 ? -s : k === 2 ? -c : s;
  out[1] = k === 0 ? s : k === 1 ? c : k === 2 ? -s : -c;
}

/** |0...0> for every sample. */
export function initZero(st: ChunkState): void {
  st.re.fill(0);
  st.re.fill(1, 0, st.S);
  st.im?.fill(0);
}

/**
 * Per-sample 2x2 matrices of a gate whose angle is input feature `feature`, into m (8 rows of S:
 * m00 re, m00 im, m01 re, m01 im, m10 re, m10 im, m11 re, m11 im): of the gate, or of its
 * derivative dU/dtheta when `derivative` (rotations: U(theta + pi) / 2).
 */
export function sampleMatrices(
  gate: GateName, feature: number, features: ArrayLike<number>, width: number, row0: number, S: number, rows: number, m: Float64Array, derivative: boolean,
): void {
  m.fill(0);
  const shift = derivative ? Math.PI : 0;
  const scale = derivative ? 0.5 : 1;
  // Rotations: c on the diagonal (re of m00, m11), +-s at two entries that depend on the axis.
  let sinAt1 = 0, sinAt2 = 0, sign1 = 0, sign2 = 0;
  if (gate === 'rx' || gate === 'crx') [sinAt1, sign1, sinAt2, sign2] = [3, -1, 5, -1];
  else if (gate === 'ry' || gate === 'cry') [sinAt1, sign1, sinAt2, sign2] = [2, -1, 4, 1];
  else if (gate === 'rz' || gate === 'crz') [sinAt1, sign1, sinAt2, sign2] = [1, -1, 7, 1];
  else {
    for (let b = 0; b < S; b++) {
      const row = b < rows ? row0 + b : row0;
      const a = features[row * width + feature];
      const t = derivative ? derivativeMatrix(gate, a) : targetMatrix(gate, a);
      for (let e = 0; e < 8; e++) m[e * S + b] = t[e];
    }
    return;
  }
  const o1 = sinAt1 * S, o2 = sinAt2 * S, o6 = 6 * S;
  const cs = new Float64Array(2);
  for (let b = 0; b < S; b++) {
    // Padding samples past the batch read row 0's angle (their outputs are dropped, their gradients are zero).
    const row = b < rows ? row0 + b : row0;
    sincos((features[row * width + feature] + shift) / 2, cs);
    const c = cs[0] * scale, s = cs[1] * scale;
    m[b] = c;
    m[o6 + b] = c;
    m[o1 + b] = sign1 * s;
    m[o2 + b] = sign2 * s;
  }
}

/**
 * The product state of the prefix: qubit q of sample b in v_q = (steps of q, in order) |0>, and
 * amplitude k = prod_q v_q[bit_q(k)], built one qubit at a time from the most significant.
 */
export function initProduct(
  st: ChunkState, prefix: PrefixStep[][], features: ArrayLike<number>, width: number, row0: number, rows: number, scratch: Float64Array, v: Float64Array,
): void {
  const { S, re, im } = st;
  const n = prefix.length;
  re.fill(1, 0, S);
  im?.fill(0, 0, S);
  // v (4 S): qubit q's vector per sample, v0 re, v0 im, v1 re, v1 im.
  const cs = new Float64Array(2);
  for (let q = 0; q < n; q++) {
    const steps = prefix[q];
    let first = 0;
    v.fill(0);
    if (steps.length > 0 && steps[0].kind === 'feature' && (steps[0].gate === 'ry' || steps[0].gate === 'rx')) {
      // The embedding's usual first step on |0>: RY(x)|0> = (c, s), RX(x)|0> = (c, -i s), c, s of x / 2.
      const step = steps[0];
      const at = step.gate === 'ry' ? 2 * S : 3 * S;
      const sign = step.gate === 'ry' ? 1 : -1;
      for (let b = 0; b < S; b++) {
        const row = b < rows ? row0 + b : row0;
        sincos(features[row * width + step.feature] / 2, cs);
        v[b] = cs[0];
        v[at + b] = sign * cs[1];
      }
      first = 1;
    } else v.fill(1, 0, S);
    for (let i = first; i < steps.length; i++) {
      const step = steps[i];
      if (step.kind === 'fixed') {
        const m = step.m;
        for (let b = 0; b < S; b++) {
          const ar = v[b], ai = v[S + b], br = v[2 * S + b], bi = v[3 * S + b];
          v[b] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi;
          v[S + b] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br;
          v[2 * S + b] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi;
          v[3 * S + b] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br;
        }
      } else {
        sampleMatrices(step.gate, step.feature, features, width, row0, S, rows, scratch, false);
        const m = scratch;
        for (let b = 0; b < S; b++) {
          const ar = v[b], ai = v[S + b], br = v[2 * S + b], bi = v[3 * S + b];
          const m0 = m[b], m1 = m[S + b], m2 = m[2 * S + b], m3 = m[3 * S + b];
          const m4 = m[4 * S + b], m5 = m[5 * S + b], m6 = m[6 * S + b], m7 = m[7 * S + b];
          v[b] = m0 * ar - m1 * ai + m2 * br - m3 * bi;
          v[S + b] = m0 * ai + m1 * ar + m2 * bi + m3 * br;
          v[2 * S + b] = m4 * ar - m5 * ai + m6 * br - m7 * bi;
          v[3 * S + b] = m4 * ai + m5 * ar + m6 * bi + m7 * br;
        }
      }
    }
    // Rows 0 .. 2^q - 1 hold qubits 0 .. q-1; row k becomes rows 2k (bit 0) and 2k + 1 (bit 1).
    for (let k = (1 << q) - 1; k >= 0; k--) {
      const src = k * S, lo = 2 * k * S, hi = (2 * k + 1) * S;
      if (im) {
        for (let b = 0; b < S; b++) {
          const xr = re[src + b], xi = im[src + b];
          const v0r = v[b], v0i = v[S + b], v1r = v[2 * S + b], v1i = v[3 * S + b];
          re[hi + b] = xr * v1r - xi * v1i;
          im[hi + b] = xr * v1i + xi * v1r;
          re[lo + b] = xr * v0r - xi * v0i;
          im[lo + b] = xr * v0i + xi * v0r;
        }
      } else {
        for (let b = 0; b < S; b++) {
          const x = re[src + b];
          re[hi + b] = x * v[2 * S + b];
          re[lo + b] = x * v[b];
        }
      }
    }
  }
}

/** Multiplies amplitude k of every sample by its phase (conjugated when `conjugate`). */
export function applyDiagonal(st: ChunkState, terms: PhaseTerms, conjugate: boolean): void {
  const { S, D, re, im } = st;
  const phase = new Float64Array(2);
  for (let k = 0; k < D; k++) {
    phaseAt(terms, k, phase);
    const pr = phase[0], pi = conjugate ? -phase[1] : phase[1];
    if (pr === 1 && pi === 0) continue;
    const o = k * S;
    if (!im) {
      for (let b = 0; b < S; b++) re[o + b] *= pr;
      continue;
    }
    for (let b = 0; b < S; b++) {
      const xr = re[o + b], xi = im[o + b];
      re[o + b] = xr * pr - xi * pi;
      im[o + b] = xr * pi + xi * pr;
    }
  }
}

export function applyDiagonalPass(st: ChunkState, p: BoundDiagonal, conjugate: boolean): void {
  applyDiagonal(st, p.terms, conjugate);
}

/** Pairs (i, i | target) with the control bits set, in index order. */
function forPairs(D: number, target: number, control: number, fn: (i: number, j: number) => void): void {
  for (let i = 0; i < D; i++) {
    if ((i & target) !== 0 || (i & control) !== control) continue;
    fn(i, i | target);
  }
}

/**
 * Applies per-sample 2x2 matrices m (sampleMatrices' layout) on the pairs of a sample pass, or
 * their adjoints when `dagger`.
 */
export function applySampleMatrices(st: ChunkState, p: BoundSample, m: Float64Array, dagger: boolean): void {
  const { S, D, re, im } = st;
  // Adjoint: (m^dagger)[r][c] = conj(m[c][r]): swap the off-diagonal entries and negate every im.
  const e01 = dagger ? 4 : 2, e10 = dagger ? 2 : 4;
  const sign = dagger ? -1 : 1;
  forPairs(D, p.target, p.control, (i, j) => {
    const oi = i * S, oj = j * S;
    if (!im) {
      for (let b = 0; b < S; b++) {
        const x = re[oi + b], y = re[oj + b];
        re[oi + b] = m[b] * x + m[e01 * S + b] * y;
        re[oj + b] = m[e10 * S + b] * x + m[6 * S + b] * y;
      }
      return;
    }
    for (let b = 0; b < S; b++) {
      const xr = re[oi + b], xi = im[oi + b], yr = re[oj + b], yi = im[oj + b];
      const a0r = m[b], a0i = sign * m[S + b];
      const a1r = m[e01 * S + b], a1i = sign * m[(e01 + 1) * S + b];
      const a2r = m[e10 * S + b], a2i = sign * m[(e10 + 1) * S + b];
      const a3r = m[6 * S + b], a3i = sign * m[7 * S + b];
      re[oi + b] = a0r * xr - a0i * xi + a1r * yr - a1i * yi;
      im[oi + b] = a0r * xi + a0i * xr + a1r * yi + a1i * yr;
      re[oj + b] = a2r * xr - a2i * xi + a3r * yr - a3i * yi;
      im[oj + b] = a2r * xi + a2i * xr + a3r * yi + a3i * yr;
    }
  });
}

/** acc[b] += Re <lambda_b | dm_b | psi_b> over the pairs of the pass (dm in sampleMatrices' layout). */
export function sampleDerivative(psi: ChunkState, lam: ChunkState, p: BoundSample, dm: Float64Array, acc: Float64Array): void {
  const { S, D, re, im } = psi;
  const lre = lam.re, lim = lam.im;
  forPairs(D, p.target, p.control, (i, j) => {
    const oi = i * S, oj = j * S;
    for (let b = 0; b < S; b++) {
      const xr = re[oi + b], xi = im ? im[oi + b] : 0, yr = re[oj + b], yi = im ? im[oj + b] : 0;
      const ur = dm[b] * xr - dm[S + b] * xi + dm[2 * S + b] * yr - dm[3 * S + b] * yi;
      const ui = dm[b] * xi + dm[S + b] * xr + dm[2 * S + b] * yi + dm[3 * S + b] * yr;
      const wr = dm[4 * S + b] * xr - dm[5 * S + b] * xi + dm[6 * S + b] * yr - dm[7 * S + b] * yi;
      const wi = dm[4 * S + b] * xi + dm[5 * S + b] * xr + dm[6 * S + b] * yi + dm[7 * S + b] * yr;
      acc[b] += lre[oi + b] * ur + (lim ? lim[oi + b] * ui : 0) + lre[oj + b] * wr + (lim ? lim[oj + b] * wi : 0);
    }
  });
}

/** |amplitude|^2 of basis index k for every sample of the chunk, into p (S long). */
export function probabilityRow(st: ChunkState, k: number, p: Float64Array): void {
  const { S, re, im } = st;
  const o = k * S;
  if (im) for (let b = 0; b < S; b++) p[b] = re[o + b] * re[o + b] + im[o + b] * im[o + b];
  else for (let b = 0; b < S; b++) p[b] = re[o + b] * re[o + b];
}
