import { QmoeInputError, checkInt } from '../errors.js';
import { Rng } from './rng.js';

/**
 * Principal component analysis, fitted on chosen rows (the training split) and applied unchanged
 * to any rows.
 *
 * Fit: the mean of the rows, the sample covariance C = (X - mean)^T (X - mean) / (n - 1) (as
 * scikit-learn's explained_variance_), and its k leading eigenpairs. Up to 64 columns the whole
 * eigen-decomposition is computed by the cyclic Jacobi method; above that (784 pixels) by
 * subspace iteration with Rayleigh-Ritz on a block of k + 12 vectors, iterated until every one of
 * the k Ritz pairs has a residual ||C v - lambda v|| <= 1e-10 lambda_1, which needs ~30 products
 * C Q for MNIST-like spectra (about a second for 784 pixels). We do not use ml-pca here: it
 * computes all 784 components (SVD or ml-matrix's EVD) and took 15 to 18 s for 1700 MNIST images
 * on this machine, every time a data set is prepared; the tests use it as an independent check.
 *
 * Signs: each component is flipped so that its entry of largest magnitude is positive (first such
 * entry on ties), so fits are deterministic.
 */
export interface Pca {
  kind: 'pca';
  /** Column means of the fitted rows. */
  mean: number[];
  /** k x width, each row a unit principal axis, by decreasing variance. */
  components: number[][];
  /** Eigenvalues of the covariance (variance along each component), decreasing. */
  variance: number[];
  /** variance / total variance (trace of the covariance). */
  varianceRatio: number[];
}

const TOL = 1e-10;
const MAX_ITER = 10_000;

/**
 * Fits a PCA with `k` components to `rows` of `x` (row-major, `width` columns; all rows when
 * omitted). Needs at least 2 rows and k <= width.
 */
export function fitPca(x: ArrayLike<number>, width: number, k: number, rows?: ArrayLike<number>): Pca {
  checkInt('width', width, 1, 1 << 20);
  checkInt('components', k, 1, width);
  if (!x || typeof x.length !== 'number' || x.length % width !== 0) throw new QmoeInputError('x.length', x?.length, `must be a multiple of width (${width})`);
  const all = x.length / width;
  const idx = rows ?? Int32Array.from({ length: all }, (_, i) => i);
  const n = idx.length;
  if (n < 2) throw new QmoeInputError('rows', n, 'PCA needs at least 2 rows');
  for (let t = 0; t < n; t++) {
    const r = idx[t];
    if (!Number.isInteger(r) || r < 0 || r >= all) throw new QmoeInputError(`rows[${t}]`, r, `must be a row index from 0 to ${all - 1}`);
  }
  const mean = new Float64Array(width);
  for (let t = 0; t < n; t++) {
    const base = idx[t] * width;
    for (let j = 0; j < width; j++) {
      const v = x[base + j];
      if (!Number.isFinite(v)) throw new QmoeInputError(`x[row ${idx[t]}, column ${j}]`, v, 'must be a finite number');
      mean[j] += v;
    }
  }
  for (let j = 0; j < width; j++) mean[j] /= n;
  // Upper triangle of the scatter matrix, then mirrored.
  const c = new Float64Array(width * width);
  const d = new Float64Array(width);
  for (let t = 0; t < n; t++) {
    const base = idx[t] * width;
    for (let j = 0; j < width; j++) d[j] = x[base + j] - mean[j];
    for (let i = 0; i < width; i++) {
      const di = d[i];
      if (di === 0) continue;
      const row = i * width;
      for (let j = i; j < width; j++) c[row + j] += di * d[j];
    }
  }
  let trace = 0;
  for (let i = 0; i < width; i++) {
    for (let j = i; j < width; j++) {
      const v = c[i * width + j] / (n - 1);
      c[i * width + j] = v;
      c[j * width + i] = v;
    }
    trace += c[i * width + i];
  }
  const { values, vectors } = width <= 64 ? topByJacobi(c, width, k) : topBySubspace(c, width, k);
  const components = vectors.map((v) => orientSign(v));
  return {
    kind: 'pca',
    mean: Array.from(mean),
    components: components.map((v) => Array.from(v)),
    variance: values.map((v) => Math.max(0, v)),
    varianceRatio: values.map((v) => (trace > 0 ? Math.max(0, v) / trace : 0)),
  };
}

/** Projects rows of `x` (width columns) onto the components: rows x k, (x - mean) . component. */
export function applyPca(x: ArrayLike<number>, width: number, pca: Pca): Float64Array {
  if (!pca || pca.kind !== 'pca' || pca.mean.length !== width) throw new QmoeInputError('pca.mean.length', pca?.mean?.length, `must equal width (${width})`);
  if (x.length % width !== 0) throw new QmoeInputError('x.length', x.length, `must be a multiple of width (${width})`);
  const rows = x.length / width;
  const k = pca.components.length;
  const out = new Float64Array(rows * k);
  const comps = pca.components.map((c) => Float64Array.from(c));
  const d = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) d[j] = x[r * width + j] - pca.mean[j];
    for (let m = 0; m < k; m++) {
      const v = comps[m];
      let s = 0;
      for (let j = 0; j < width; j++) s += d[j] * v[j];
      out[r * k + m] = s;
    }
  }
  return out;
}

function orientSign(v: Float64Array): Float64Array {
  let best = 0;
  for (let j = 1; j < v.length; j++) if (Math.abs(v[j]) > Math.abs(v[best]) + 1e-12) best = j;
  if (v[best] < 0) for (let j = 0; j < v.length; j++) v[j] = -v[j];
  return v;
}

/**
 * All eigenpairs of the symmetric n x n matrix `a` (row-major; not modified) by the cyclic Jacobi
 * method. Returns eigenvalues sorted decreasing and the matching unit eigenvectors.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): { values: number[]; vectors: Float64Array[] } {
  const m = Float64Array.from(a as ArrayLike<number>);
  if (m.length !== n * n) throw new QmoeInputError('a.length', m.length, `must be n x n = ${n * n}`);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] * m[i * n + i];
      for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let r = 0; r < n; r++) {
          const mrp = m[r * n + p];
          const mrq = m[r * n + q];
          m[r * n + p] = cs * mrp - sn * mrq;
          m[r * n + q] = sn * mrp + cs * mrq;
        }
        for (let r = 0; r < n; r++) {
          const mpr = m[p * n + r];
          const mqr = m[q * n + r];
          m[p * n + r] = cs * mpr - sn * mqr;
          m[q * n + r] = sn * mpr + cs * mqr;
        }
        for (let r = 0; r < n; r++) {
          const vrp = v[r * n + p];
          const vrq = v[r * n + q];
          v[r * n + p] = cs * vrp - sn * vrq;
          v[r * n + q] = sn * vrp + cs * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  return {
    values: order.map((i) => m[i * n + i]),
    vectors: order.map((i) => Float64Array.from({ length: n }, (_, r) => v[r * n + i])),
  };
}

function topByJacobi(c: Float64Array, n: number, k: number): { values: number[]; vectors: Float64Array[] } {
  const e = symmetricEigen(c, n);
  return { values: e.values.slice(0, k), vectors: e.vectors.slice(0, k) };
}

/** Modified Gram-Schmidt on the p columns of q (n x p, column j at q[j]); re-draws a column that vanishes. */
function orthonormalize(cols: Float64Array[], rng: Rng): void {
  for (let j = 0; j < cols.length; j++) {
    for (let attempt = 0; ; attempt++) {
      const v = cols[j];
      for (let i = 0; i < j; i++) {
        const u = cols[i];
        let s = 0;
        for (let r = 0; r < v.length; r++) s += u[r] * v[r];
        for (let r = 0; r < v.length; r++) v[r] -= s * u[r];
      }
      let norm = 0;
      for (let r = 0; r < v.length; r++) norm += v[r] * v[r];
      norm = Math.sqrt(norm);
      if (norm > 1e-300 || attempt > 3) {
        for (let r = 0; r < v.length; r++) v[r] /= norm || 1;
        break;
      }
      for (let r = 0; r < v.length; r++) v[r] = rng.normal();
    }
  }
}

function multiply(c: Float64Array, n: number, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) s += c[row + j] * v[j];
    out[i] = s;
  }
}

function topBySubspace(c: Float64Array, n: number, k: number): { values: number[]; vectors: Float64Array[] } {
  const p = Math.min(n, k + 12);
  const rng = new Rng(12345);
  let q: Float64Array[] = Array.from({ length: p }, () => Float64Array.from({ length: n }, () => rng.normal()));
  orthonormalize(q, rng);
  const z = Array.from({ length: p }, () => new Float64Array(n));
  for (let iter = 0; iter < MAX_ITER; iter++) {
    for (let j = 0; j < p; j++) multiply(c, n, q[j], z[j]);
    // Rayleigh-Ritz: H = Q^T C Q.
    const h = new Float64Array(p * p);
    for (let a = 0; a < p; a++) {
      for (let b = a; b < p; b++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += q[a][r] * z[b][r];
        h[a * p + b] = s;
        h[b * p + a] = s;
      }
    }
    const e = symmetricEigen(h, p);
    const u = e.vectors.map((w) => combine(q, w, n));
    const cu = e.vectors.map((w) => combine(z, w, n));
    const scale = Math.max(Math.abs(e.values[0]), 1e-300);
    let worst = 0;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) {
        const d = cu[j][r] - e.values[j] * u[j][r];
        s += d * d;
      }
      worst = Math.max(worst, Math.sqrt(s) / scale);
    }
    if (worst <= TOL || iter === MAX_ITER - 1) return { values: e.values.slice(0, k), vectors: u.slice(0, k) };
    q = cu;
    orthonormalize(q, rng);
  }
  throw new Error('unreachable');
}

function combine(cols: Float64Array[], w: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < cols.length; j++) {
    const s = w[j];
    if (s === 0) continue;
    const col = cols[j];
    for (let r = 0; r < n; r++) out[r] += s * col[r];
  }
  return out;
}
