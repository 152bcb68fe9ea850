import { QmoeInputError, checkInt } from '../errors.js';
import { covariance } from './covariance.js';
import { symmetricEigen } from './eigen.js';

export { symmetricEigen } from './eigen.js';

/**
 * Principal component analysis, fitted on chosen rows (the training split) and applied unchanged
 * to any rows.
 *
 * Fit: the mean of the rows, the sample covariance C = (X - mean)^T (X - mean) / (n - 1) (as
 * scikit-learn's explained_variance_; src/data/covariance.ts, which only visits the nonzero
 * entries of sparse rows such as MNIST's), and its k leading eigenpairs from the full symmetric
 * eigen-decomposition (src/data/eigen.ts: Householder + QL, O(width^3), no dependence on the
 * spectrum's gaps). 60,000 x 784 MNIST pixels take a few seconds (bench: `npm run bench -- --only
 * data`). ml-pca (an SVD of the data) is the tests' independent check; it is far slower.
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

/**
 * Fits a PCA with `k` components to `rows` of `x` (row-major, `width` columns; all rows when
 * omitted). Needs at least 2 rows and k <= width.
 */
export function fitPca(x: ArrayLike<number>, width: number, k: number, rows?: ArrayLike<number>): Pca {
  checkInt('width', width, 1, 1 << 15);
  checkInt('components', k, 1, width);
  const { mean, cov } = covariance(x, width, { rows });
  return pcaFromCovariance(mean, cov, width, k);
}

/** The PCA of rows whose column means and covariance (width x width, row-major) are given. */
export function pcaFromCovariance(mean: ArrayLike<number>, cov: Float64Array, width: number, k: number): Pca {
  checkInt('components', k, 1, width);
  if (mean.length !== width) throw new QmoeInputError('mean.length', mean.length, `must equal width (${width})`);
  let trace = 0;
  for (let i = 0; i < width; i++) trace += cov[i * width + i];
  const { values, vectors } = symmetricEigen(cov, width);
  const top = values.slice(0, k).map((v) => Math.max(0, v));
  return {
    kind: 'pca',
    mean: Array.from(mean),
    components: vectors.slice(0, k).map((v) => Array.from(orientSign(v))),
    variance: top,
    varianceRatio: top.map((v) => (trace > 0 ? v / trace : 0)),
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
