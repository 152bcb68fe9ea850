import type { BoundDense, PhaseTerms } from './bind.js';
import type { ChunkState, Real } from './layout.js';

/**
 * Dense passes over a chunk (layout.ts): a 2^k x 2^k matrix applied to every group of 2^k
 * amplitudes that differ only in the block's qubits, for every sample of the chunk. k = 1 and 2
 * have straight-line kernels with the matrix in locals; larger blocks a loop over small arrays.
 * A folded diagonal multiplies the matrix per group (M_g = B diag(d_g)), so it costs nothing per
 * sample.
 */

/** The phase of basis index `idx` under `terms`, into out[0] (re), out[1] (im). */
export function phaseAt(terms: PhaseTerms, idx: number, out: Float64Array): void {
  let r = 1, i = 0;
  const masks = terms.masks;
  for (let t = 0; t < masks.length; t++) {
    const m = masks[t];
    if ((idx & m) !== m) continue;
    const pr = terms.re[t], pi = terms.im[t];
    const nr = r * pr - i * pi;
    i = r * pi + i * pr;
    r = nr;
  }
  out[0] = r;
  out[1] = i;
}

/** Local offsets of the L amplitudes of a group (local bit t = the t-th stride). */
function offsets(strides: number[]): Int32Array {
  const k = strides.length;
  const L = 1 << k;
  const off = new Int32Array(L);
  for (let j = 0; j < L; j++) {
    let o = 0;
    for (let t = 0; t < k; t++) if (j & (1 << (k - 1 - t))) o += strides[t];
    off[j] = o;
  }
  return off;
}

/**
 * The matrix one group uses, into (gr, gi): B diag(d) forward, (B diag(d))^dagger when `dagger`,
 * with d the folded diagonal's phases of the group's amplitudes (dr, di), or none.
 */
function groupMatrix(p: BoundDense, dagger: boolean, L: number, dr: Float64Array | null, di: Float64Array | null, gr: Float64Array, gi: Float64Array): void {
  const br = p.re, bi = p.im;
  for (let r = 0; r < L; r++) {
    for (let c = 0; c < L; c++) {
      // Forward entry (r, c) = B[r][c] d_c; dagger entry (r, c) = conj(B[c][r] d_r).
      const sr = dagger ? c : r, sc = dagger ? r : c;
      let vr = br[sr * L + sc];
      let vi = bi ? bi[sr * L + sc] : 0;
      if (dr && di) {
        const nr = vr * dr[sc] - vi * di[sc];
        vi = vr * di[sc] + vi * dr[sc];
        vr = nr;
      }
      gr[r * L + c] = vr;
      gi[r * L + c] = dagger ? -vi : vi;
    }
  }
}

/** The phases of the group's amplitudes under a folded diagonal. */
function groupPhases(terms: PhaseTerms, o: Int32Array, dr: Float64Array, di: Float64Array, phase: Float64Array): void {
  for (let j = 0; j < o.length; j++) {
    phaseAt(terms, o[j], phase);
    dr[j] = phase[0];
    di[j] = phase[1];
  }
}

/** Fills o with the amplitude indices of group g: zero bits inserted at the block's strides (ascending). */
function groupIndices(g: number, ascending: number[], off: Int32Array, o: Int32Array): void {
  let base = g;
  for (let t = 0; t < ascending.length; t++) {
    const s = ascending[t];
    base = ((base & ~(s - 1)) << 1) | (base & (s - 1));
  }
  for (let j = 0; j < off.length; j++) o[j] = base + off[j];
}

function real2(a: Real, S: number, o: Int32Array, m: Float64Array): void {
  const o0 = o[0] * S, o1 = o[1] * S, o2 = o[2] * S, o3 = o[3] * S;
  const m00 = m[0], m01 = m[1], m02 = m[2], m03 = m[3];
  const m10 = m[4], m11 = m[5], m12 = m[6], m13 = m[7];
  const m20 = m[8], m21 = m[9], m22 = m[10], m23 = m[11];
  const m30 = m[12], m31 = m[13], m32 = m[14], m33 = m[15];
  for (let b = 0; b < S; b++) {
    const x0 = a[o0 + b], x1 = a[o1 + b], x2 = a[o2 + b], x3 = a[o3 + b];
    a[o0 + b] = m00 * x0 + m01 * x1 + m02 * x2 + m03 * x3;
    a[o1 + b] = m10 * x0 + m11 * x1 + m12 * x2 + m13 * x3;
    a[o2 + b] = m20 * x0 + m21 * x1 + m22 * x2 + m23 * x3;
    a[o3 + b] = m30 * x0 + m31 * x1 + m32 * x2 + m33 * x3;
  }
}

function real1(a: Real, S: number, o: Int32Array, m: Float64Array): void {
  const o0 = o[0] * S, o1 = o[1] * S;
  const m00 = m[0], m01 = m[1], m10 = m[2], m11 = m[3];
  for (let b = 0; b < S; b++) {
    const x0 = a[o0 + b], x1 = a[o1 + b];
    a[o0 + b] = m00 * x0 + m01 * x1;
    a[o1 + b] = m10 * x0 + m11 * x1;
  }
}

function complex1(re: Real, im: Real, S: number, o: Int32Array, mr: Float64Array, mi: Float64Array): void {
  const o0 = o[0] * S, o1 = o[1] * S;
  const a00 = mr[0], a01 = mr[1], a10 = mr[2], a11 = mr[3];
  const b00 = mi[0], b01 = mi[1], b10 = mi[2], b11 = mi[3];
  for (let b = 0; b < S; b++) {
    const x0 = re[o0 + b], x1 = re[o1 + b], y0 = im[o0 + b], y1 = im[o1 + b];
    re[o0 + b] = a00 * x0 - b00 * y0 + a01 * x1 - b01 * y1;
    im[o0 + b] = a00 * y0 + b00 * x0 + a01 * y1 + b01 * x1;
    re[o1 + b] = a10 * x0 - b10 * y0 + a11 * x1 - b11 * y1;
    im[o1 + b] = a10 * y0 + b10 * x0 + a11 * y1 + b11 * x1;
  }
}

function complex2(re: Real, im: Real, S: number, o: Int32Array, mr: Float64Array, mi: Float64Array): void {
  const o0 = o[0] * S, o1 = o[1] * S, o2 = o[2] * S, o3 = o[3] * S;
  const a00 = mr[0], a01 = mr[1], a02 = mr[2], a03 = mr[3];
  const a10 = mr[4], a11 = mr[5], a12 = mr[6], a13 = mr[7];
  const a20 = mr[8], a21 = mr[9], a22 = mr[10], a23 = mr[11];
  const a30 = mr[12], a31 = mr[13], a32 = mr[14], a33 = mr[15];
  const b00 = mi[0], b01 = mi[1], b02 = mi[2], b03 = mi[3];
  const b10 = mi[4], b11 = mi[5], b12 = mi[6], b13 = mi[7];
  const b20 = mi[8], b21 = mi[9], b22 = mi[10], b23 = mi[11];
  const b30 = mi[12], b31 = mi[13], b32 = mi[14], b33 = mi[15];
  for (let b = 0; b < S; b++) {
    const x0 = re[o0 + b], x1 = re[o1 + b], x2 = re[o2 + b], x3 = re[o3 + b];
    const y0 = im[o0 + b], y1 = im[o1 + b], y2 = im[o2 + b], y3 = im[o3 + b];
    re[o0 + b] = a00 * x0 - b00 * y0 + a01 * x1 - b01 * y1 + a02 * x2 - b02 * y2 + a03 * x3 - b03 * y3;
    im[o0 + b] = a00 * y0 + b00 * x0 + a01 * y1 + b01 * x1 + a02 * y2 + b02 * x2 + a03 * y3 + b03 * x3;
    re[o1 + b] = a10 * x0 - b10 * y0 + a11 * x1 - b11 * y1 + a12 * x2 - b12 * y2 + a13 * x3 - b13 * y3;
    im[o1 + b] = a10 * y0 + b10 * x0 + a11 * y1 + b11 * x1 + a12 * y2 + b12 * x2 + a13 * y3 + b13 * x3;
    re[o2 + b] = a20 * x0 - b20 * y0 + a21 * x1 - b21 * y1 + a22 * x2 - b22 * y2 + a23 * x3 - b23 * y3;
    im[o2 + b] = a20 * y0 + b20 * x0 + a21 * y1 + b21 * x1 + a22 * y2 + b22 * x2 + a23 * y3 + b23 * x3;
    re[o3 + b] = a30 * x0 - b30 * y0 + a31 * x1 - b31 * y1 + a32 * x2 - b32 * y2 + a33 * x3 - b33 * y3;
    im[o3 + b] = a30 * y0 + b30 * x0 + a31 * y1 + b31 * x1 + a32 * y2 + b32 * x2 + a33 * y3 + b33 * x3;
  }
}

/** Any block size: the group's amplitudes of one sample go through a small array. */
function generic(re: Real, im: Real | null, S: number, o: Int32Array, mr: Float64Array, mi: Float64Array, xr: Float64Array, xi: Float64Array): void {
  const L = o.length;
  for (let b = 0; b < S; b++) {
    for (let j = 0; j < L; j++) {
      xr[j] = re[o[j] * S + b];
      xi[j] = im ? im[o[j] * S + b] : 0;
    }
    for (let r = 0; r < L; r++) {
      let sr = 0, si = 0;
      for (let c = 0; c < L; c++) {
        const ar = mr[r * L + c], ai = mi[r * L + c];
        sr += ar * xr[c] - ai * xi[c];
        si += ar * xi[c] + ai * xr[c];
      }
      re[o[r] * S + b] = sr;
      if (im) im[o[r] * S + b] = si;
    }
  }
}

/** Applies the pass's matrix (its adjoint when `dagger`) to every group and sample of `st`. */
export function applyDense(st: ChunkState, p: BoundDense, dagger: boolean): void {
  const { S, D, re, im } = st;
  const k = p.strides.length;
  const L = 1 << k;
  const off = offsets(p.strides);
  const ascending = [...p.strides].sort((a, b) => a - b);
  const o = new Int32Array(L);
  const gr = new Float64Array(L * L), gi = new Float64Array(L * L);
  const dr = new Float64Array(L), di = new Float64Array(L);
  const phase = new Float64Array(2);
  const xr = new Float64Array(L), xi = new Float64Array(L);
  groupMatrix(p, dagger, L, null, null, gr, gi);
  const real = im === null;
  const groups = D / L;
  for (let g = 0; g < groups; g++) {
    groupIndices(g, ascending, off, o);
    if (p.pre) {
      groupPhases(p.pre, o, dr, di, phase);
      groupMatrix(p, dagger, L, dr, di, gr, gi);
    }
    const w = st.arena;
    if (w && k <= 2) {
      // The SIMD kernels (wasm/cpu-kernels.ts): the group's matrix and row offsets go through the arena's scratch.
      for (let j = 0; j < L * L; j++) w.mat[j] = gr[j];
      if (real) {
        if (k === 2) w.k.real2(re.byteOffset, S, o[0] * S, o[1] * S, o[2] * S, o[3] * S, w.matPtr);
        else w.k.real1(re.byteOffset, S, o[0] * S, o[1] * S, w.matPtr);
      } else {
        for (let j = 0; j < L * L; j++) w.mat[L * L + j] = gi[j];
        for (let j = 0; j < L; j++) w.offs[j] = o[j] * S;
        if (k === 2) w.k.complex2(re.byteOffset, im!.byteOffset, S, w.offsPtr, w.matPtr);
        else w.k.complex1(re.byteOffset, im!.byteOffset, S, w.offsPtr, w.matPtr);
      }
    } else if (real) {
      if (k === 2) real2(re, S, o, gr);
      else if (k === 1) real1(re, S, o, gr);
      else generic(re, null, S, o, gr, gi, xr, xi);
    } else if (k === 2) complex2(re, im!, S, o, gr, gi);
    else if (k === 1) complex1(re, im!, S, o, gr, gi);
    else generic(re, im, S, o, gr, gi, xr, xi);
  }
}

/**
 * One dense pass of the adjoint sweep: psi_in = B^dagger psi_out (then the folded diagonal
 * undone), C += sum over samples and groups of psi_in lambda_out^dagger (before the diagonal is
 * undone, so C is taken at the block's input), lambda = (B d)^dagger lambda (skipped when
 * `undoLambda` is false: the last pass the sweep needs). C is L x L complex: re at [0, L^2), im at [L^2, 2 L^2).
 */
export function undoDenseAccumulate(psi: ChunkState, lam: ChunkState, p: BoundDense, C: Float64Array, undoLambda: boolean): void {
  const { S, D } = psi;
  const k = p.strides.length;
  const L = 1 << k;
  const LL = L * L;
  const off = offsets(p.strides);
  const ascending = [...p.strides].sort((a, b) => a - b);
  const o = new Int32Array(L);
  // B^dagger without the diagonal: psi_in before the diagonal is undone.
  const hr = new Float64Array(LL), hi = new Float64Array(LL);
  const phase = new Float64Array(2);
  groupMatrix(p, true, L, null, null, hr, hi);
  const dr = new Float64Array(L).fill(1), di = new Float64Array(L);
  const xr = new Float64Array(L), xi = new Float64Array(L), yr = new Float64Array(L), yi = new Float64Array(L);
  const real = psi.im === null;
  const groups = D / L;
  for (let g = 0; g < groups; g++) {
    groupIndices(g, ascending, off, o);
    if (p.pre) {
      groupPhases(p.pre, o, dr, di, phase);
      for (let j = 0; j < L; j++) di[j] = -di[j];
    }
    const w = psi.arena;
    if (w && real && k <= 2) {
      for (let j = 0; j < LL; j++) w.mat[j] = hr[j];
      for (let j = 0; j < L; j++) w.diag[j] = dr[j];
      if (k === 2) w.k.acc2r(psi.re.byteOffset, lam.re.byteOffset, S, o[0] * S, o[1] * S, o[2] * S, o[3] * S, w.matPtr, w.diagPtr, undoLambda ? 1 : 0, w.outPtr);
      else w.k.acc1r(psi.re.byteOffset, lam.re.byteOffset, S, o[0] * S, o[1] * S, w.matPtr, w.diagPtr, undoLambda ? 1 : 0, w.outPtr);
      for (let j = 0; j < LL; j++) C[j] += w.out[j];
    } else if (real && k === 2) accumulateReal2(psi.re, lam.re, S, o, hr, dr, C, undoLambda);
    else if (real && k === 1) accumulateReal1(psi.re, lam.re, S, o, hr, dr, C, undoLambda);
    else accumulateGeneric(psi, lam, o, hr, hi, dr, di, C, undoLambda, xr, xi, yr, yi);
  }
}

function accumulateReal2(a: Real, l: Real, S: number, o: Int32Array, h: Float64Array, d: Float64Array, C: Float64Array, undoLambda: boolean): void {
  const o0 = o[0] * S, o1 = o[1] * S, o2 = o[2] * S, o3 = o[3] * S;
  const h00 = h[0], h01 = h[1], h02 = h[2], h03 = h[3];
  const h10 = h[4], h11 = h[5], h12 = h[6], h13 = h[7];
  const h20 = h[8], h21 = h[9], h22 = h[10], h23 = h[11];
  const h30 = h[12], h31 = h[13], h32 = h[14], h33 = h[15];
  const d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3];
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let b = 0; b < S; b++) {
    const x0 = a[o0 + b], x1 = a[o1 + b], x2 = a[o2 + b], x3 = a[o3 + b];
    const l0 = l[o0 + b], l1 = l[o1 + b], l2 = l[o2 + b], l3 = l[o3 + b];
    const p0 = h00 * x0 + h01 * x1 + h02 * x2 + h03 * x3;
    const p1 = h10 * x0 + h11 * x1 + h12 * x2 + h13 * x3;
    const p2 = h20 * x0 + h21 * x1 + h22 * x2 + h23 * x3;
    const p3 = h30 * x0 + h31 * x1 + h32 * x2 + h33 * x3;
    c00 += p0 * l0; c01 += p0 * l1; c02 += p0 * l2; c03 += p0 * l3;
    c10 += p1 * l0; c11 += p1 * l1; c12 += p1 * l2; c13 += p1 * l3;
    c20 += p2 * l0; c21 += p2 * l1; c22 += p2 * l2; c23 += p2 * l3;
    c30 += p3 * l0; c31 += p3 * l1; c32 += p3 * l2; c33 += p3 * l3;
    a[o0 + b] = d0 * p0;
    a[o1 + b] = d1 * p1;
    a[o2 + b] = d2 * p2;
    a[o3 + b] = d3 * p3;
    if (undoLambda) {
      l[o0 + b] = d0 * (h00 * l0 + h01 * l1 + h02 * l2 + h03 * l3);
      l[o1 + b] = d1 * (h10 * l0 + h11 * l1 + h12 * l2 + h13 * l3);
      l[o2 + b] = d2 * (h20 * l0 + h21 * l1 + h22 * l2 + h23 * l3);
      l[o3 + b] = d3 * (h30 * l0 + h31 * l1 + h32 * l2 + h33 * l3);
    }
  }
  C[0] += c00; C[1] += c01; C[2] += c02; C[3] += c03;
  C[4] += c10; C[5] += c11; C[6] += c12; C[7] += c13;
  C[8] += c20; C[9] += c21; C[10] += c22; C[11] += c23;
  C[12] += c30; C[13] += c31; C[14] += c32; C[15] += c33;
}

function accumulateReal1(a: Real, l: Real, S: number, o: Int32Array, h: Float64Array, d: Float64Array, C: Float64Array, undoLambda: boolean): void {
  const o0 = o[0] * S, o1 = o[1] * S;
  const h00 = h[0], h01 = h[1], h10 = h[2], h11 = h[3];
  const d0 = d[0], d1 = d[1];
  let c00 = 0, c01 = 0, c10 = 0, c11 = 0;
  for (let b = 0; b < S; b++) {
    const x0 = a[o0 + b], x1 = a[o1 + b];
    const l0 = l[o0 + b], l1 = l[o1 + b];
    const p0 = h00 * x0 + h01 * x1;
    const p1 = h10 * x0 + h11 * x1;
    c00 += p0 * l0; c01 += p0 * l1;
    c10 += p1 * l0; c11 += p1 * l1;
    a[o0 + b] = d0 * p0;
    a[o1 + b] = d1 * p1;
    if (undoLambda) {
      l[o0 + b] = d0 * (h00 * l0 + h01 * l1);
      l[o1 + b] = d1 * (h10 * l0 + h11 * l1);
    }
  }
  C[0] += c00; C[1] += c01; C[2] += c10; C[3] += c11;
}

/** Complex (any k) and real k > 2: arrays per sample. */
function accumulateGeneric(
  psi: ChunkState, lam: ChunkState, o: Int32Array, hr: Float64Array, hi: Float64Array, dr: Float64Array, di: Float64Array,
  C: Float64Array, undoLambda: boolean, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array,
): void {
  const { S } = psi;
  const L = o.length;
  const LL = L * L;
  const are = psi.re, aim = psi.im, lre = lam.re, lim = lam.im;
  for (let b = 0; b < S; b++) {
    for (let j = 0; j < L; j++) {
      const at = o[j] * S + b;
      xr[j] = are[at];
      xi[j] = aim ? aim[at] : 0;
      yr[j] = lre[at];
      yi[j] = lim ? lim[at] : 0;
    }
    for (let r = 0; r < L; r++) {
      // psi_in[r] = (B^dagger psi_out)[r]
      let pr = 0, pi = 0, qr = 0, qi = 0;
      for (let c = 0; c < L; c++) {
        const ar = hr[r * L + c], ai = hi[r * L + c];
        pr += ar * xr[c] - ai * xi[c];
        pi += ar * xi[c] + ai * xr[c];
        qr += ar * yr[c] - ai * yi[c];
        qi += ar * yi[c] + ai * yr[c];
      }
      // C[r][c] += psi_in[r] conj(lambda_out[c])
      for (let c = 0; c < L; c++) {
        C[r * L + c] += pr * yr[c] + pi * yi[c];
        C[LL + r * L + c] += pi * yr[c] - pr * yi[c];
      }
      const at = o[r] * S + b;
      are[at] = dr[r] * pr - di[r] * pi;
      if (aim) aim[at] = dr[r] * pi + di[r] * pr;
      if (undoLambda) {
        lre[at] = dr[r] * qr - di[r] * qi;
        if (lim) lim[at] = dr[r] * qi + di[r] * qr;
      }
    }
  }
}
