import { QmoeInputError, checkInt } from '../errors.js';

/**
 * Column means and the sample covariance (divided by n - 1, as scikit-learn's PCA) of chosen rows
 * of a row-major matrix, fast at MNIST's size (60,000 x 784).
 *
 * The scatter sum_r (x_r - c)(x_r - c)^T is accumulated about a shift c and corrected by the mean
 * afterwards: S = sum (x - c)(x - c)^T - n (m - c)(m - c)^T. A column's shift is 0 unless its
 * mean is large against its spread (MAX_OFFSET), then its mean (plain centering, which keeps
 * float64's accuracy for data far from zero). A zero-shifted column keeps its zeros, so the
 * scatter of sparse data (MNIST rows are ~80% zero pixels) only visits each row's nonzeros.
 *
 * Rows are taken in blocks: rows with few nonzeros go through a sparse rank-1 update of the upper
 * triangle, the others through a dense block product of their columns (inner products over the
 * block's rows, two by two), so the n x n accumulator is written once per block, not per row.
 */
export interface Covariance {
  /** Rows used. */
  n: number;
  mean: Float64Array;
  /** width x width, row-major, symmetric. */
  cov: Float64Array;
}

export interface CovarianceOptions {
  /** Rows of x to use (all when omitted). */
  rows?: ArrayLike<number>;
  /** Every value is multiplied by this first (e.g. 1 / 255 for image bytes). Default 1. */
  scale?: number;
}

/**
 * A column is left unshifted (its zeros stay zeros) while mean^2 <= MAX_OFFSET x variance: the
 * correction then loses at most log10(MAX_OFFSET) of float64's ~16 digits.
 */
const MAX_OFFSET = 1e4;

/** Rows with at most width / SPARSE_FRACTION nonzeros take the sparse update. */
const SPARSE_FRACTION = 2;

/** Rows per dense block: the block's columns (block x width doubles) stay in cache. */
const BLOCK = 64;

export function covariance(x: ArrayLike<number>, width: number, options: CovarianceOptions = {}): Covariance {
  checkInt('width', width, 1, 1 << 15);
  if (!x || typeof x.length !== 'number' || x.length % width !== 0) throw new QmoeInputError('x.length', x?.length, `must be a multiple of width (${width})`);
  const all = x.length / width;
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0) throw new QmoeInputError('scale', scale, 'must be a finite number > 0');
  const idx = options.rows ?? Int32Array.from({ length: all }, (_, i) => i);
  const n = idx.length;
  if (n < 2) throw new QmoeInputError('rows', n, 'a covariance needs at least 2 rows');

  // Pass 1: means, mean squares, finiteness.
  const sum = new Float64Array(width);
  const squares = new Float64Array(width);
  for (let t = 0; t < n; t++) {
    const r = idx[t];
    if (!Number.isInteger(r) || r < 0 || r >= all) throw new QmoeInputError(`rows[${t}]`, r, `must be a row index from 0 to ${all - 1}`);
    const base = r * width;
    for (let j = 0; j < width; j++) {
      const v = x[base + j];
      if (v === 0) continue;
      if (!Number.isFinite(v)) throw new QmoeInputError(`x[row ${r}, column ${j}]`, v, 'must be a finite number');
      sum[j] += v;
      squares[j] += v * v;
    }
  }
  const mean = new Float64Array(width);
  const shift = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    mean[j] = (sum[j] / n) * scale;
    // A rough variance decides; where it is itself lost to cancellation, mean^2 dwarfs it.
    const variance = Math.max(0, (squares[j] / n) * scale * scale - mean[j] * mean[j]);
    shift[j] = mean[j] * mean[j] <= MAX_OFFSET * variance ? 0 : mean[j];
  }

  // Pass 2: the scatter about the shift, upper triangle.
  const s = new Float64Array(width * width);
  const dense = new Float64Array(BLOCK * width); // column-major block: dense[j * BLOCK + b]
  const used = new Uint8Array(width);
  const nzIndex = new Int32Array(width);
  const nzValue = new Float64Array(width);
  let inBlock = 0;
  const flush = () => {
    if (inBlock > 0) addBlock(s, dense, used, width, inBlock);
    dense.fill(0);
    used.fill(0);
    inBlock = 0;
  };
  for (let t = 0; t < n; t++) {
    const base = idx[t] * width;
    let nnz = 0;
    for (let j = 0; j < width; j++) {
      const v = x[base + j] * scale - shift[j];
      if (v !== 0) {
        nzIndex[nnz] = j;
        nzValue[nnz++] = v;
      }
    }
    if (nnz * SPARSE_FRACTION <= width) {
      addSparse(s, width, nzIndex, nzValue, nnz);
      continue;
    }
    for (let q = 0; q < nnz; q++) {
      dense[nzIndex[q] * BLOCK + inBlock] = nzValue[q];
      used[nzIndex[q]] = 1;
    }
    if (++inBlock === BLOCK) flush();
  }
  flush();

  const cov = new Float64Array(width * width);
  for (let i = 0; i < width; i++) {
    const di = mean[i] - shift[i];
    for (let j = i; j < width; j++) {
      const v = (s[i * width + j] - n * di * (mean[j] - shift[j])) / (n - 1);
      cov[i * width + j] = v;
      cov[j * width + i] = v;
    }
  }
  return { n, mean, cov };
}

/** s[i][j] += v_i v_j over the pairs i <= j of one sparse row (indices ascending). */
function addSparse(s: Float64Array, width: number, index: Int32Array, value: Float64Array, nnz: number): void {
  for (let a = 0; a < nnz; a++) {
    const va = value[a];
    const row = index[a] * width;
    let b = a;
    // Four independent updates per pass: about twice as fast in V8 as one.
    for (; b + 3 < nnz; b += 4) {
      const i0 = row + index[b];
      const i1 = row + index[b + 1];
      const i2 = row + index[b + 2];
      const i3 = row + index[b + 3];
      const p0 = va * value[b];
      const p1 = va * value[b + 1];
      const p2 = va * value[b + 2];
      const p3 = va * value[b + 3];
      s[i0] += p0;
      s[i1] += p1;
      s[i2] += p2;
      s[i3] += p3;
    }
    for (; b < nnz; b++) s[row + index[b]] += va * value[b];
  }
}

/** s[i][j] += sum over the block's rows of col_i . col_j, for i <= j among the used columns. */
function addBlock(s: Float64Array, dense: Float64Array, used: Uint8Array, width: number, rows: number): void {
  const cols: number[] = [];
  for (let j = 0; j < width; j++) if (used[j]) cols.push(j);
  const m = cols.length;
  // Pairs of columns (i0, i1) x (j0, j1): four inner products per pass over the rows.
  for (let a = 0; a < m; a += 2) {
    const i0 = cols[a];
    const i1 = a + 1 < m ? cols[a + 1] : -1;
    const p0 = i0 * BLOCK;
    const p1 = i1 * BLOCK;
    for (let b = a; b < m; b += 2) {
      const j0 = cols[b];
      const j1 = b + 1 < m ? cols[b + 1] : -1;
      const q0 = j0 * BLOCK;
      const q1 = j1 * BLOCK;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      if (i1 >= 0 && j1 >= 0) {
        for (let r = 0; r < rows; r++) {
          const x0 = dense[p0 + r];
          const x1 = dense[p1 + r];
          const y0 = dense[q0 + r];
          const y1 = dense[q1 + r];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s10 += x1 * y0;
          s11 += x1 * y1;
        }
      } else {
        for (let r = 0; r < rows; r++) {
          const x0 = dense[p0 + r];
          const x1 = i1 >= 0 ? dense[p1 + r] : 0;
          const y0 = dense[q0 + r];
          const y1 = j1 >= 0 ? dense[q1 + r] : 0;
          s00 += x0 * y0;
          s01 += x0 * y1;
          s10 += x1 * y0;
          s11 += x1 * y1;
        }
      }
      s[i0 * width + j0] += s00;
      if (j1 >= 0) s[i0 * width + j1] += s01;
      // (i1, j0) lies in the upper triangle except on the diagonal block, where it mirrors (j0, i1).
      if (i1 >= 0 && b !== a) s[i1 * width + j0] += s10;
      if (i1 >= 0 && j1 >= 0) s[i1 * width + j1] += s11;
    }
  }
}
