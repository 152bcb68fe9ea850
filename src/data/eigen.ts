import { QmoeInputError, checkInt } from '../errors.js';

/**
 * Every eigenpair of a real symmetric matrix: Householder reduction to tridiagonal form, then the
 * implicit QL method with shifts (EISPACK's tred2 and tql2, as in JAMA's public-domain
 * EigenvalueDecomposition, which ml-matrix's EVD also follows). O(n^3) with no iteration count
 * that depends on the spectrum's gaps (unlike subspace iteration), about a second for n = 784.
 *
 * The transformations are kept column-major (column j of V contiguous), so that every inner loop
 * of both stages walks memory in order.
 */
export interface SymmetricEigen {
  /** Eigenvalues, decreasing. */
  values: number[];
  /** Unit eigenvectors, vectors[m] belonging to values[m]. */
  vectors: Float64Array[];
}

/** The most QL iterations spent on one eigenvalue before giving up (2 or 3 are typical). */
const MAX_QL_ITERATIONS = 200;

/**
 * All eigenpairs of the symmetric n x n matrix `a` (row-major; only its lower triangle is read,
 * `a` is not modified). Eigenvalues come back sorted decreasing with their unit eigenvectors.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  checkInt('n', n, 1, 1 << 15);
  if (!a || a.length !== n * n) throw new QmoeInputError('a.length', a?.length, `must be n x n = ${n * n}`);
  // v[c * n + r] holds V[r][c]; start from the lower triangle of a (as tred2 expects V = A).
  const v = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c <= r; c++) {
      const x = a[r * n + c];
      if (!Number.isFinite(x)) throw new QmoeInputError(`a[${r}, ${c}]`, x, 'must be a finite number');
      v[c * n + r] = x;
      v[r * n + c] = x;
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalize(v, n, d, e);
  diagonalize(v, n, d, e);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i] || i - j);
  return {
    values: order.map((i) => d[i]),
    vectors: order.map((i) => v.slice(i * n, (i + 1) * n)),
  };
}

/** tred2: V becomes the orthogonal Q of A = Q T Q^T; d, e the diagonal and subdiagonal of T. */
function tridiagonalize(v: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  const at = (r: number, c: number) => c * n + r;
  for (let j = 0; j < n; j++) d[j] = v[at(n - 1, j)];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
        v[at(j, i)] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        v[at(j, i)] = f;
        const col = j * n;
        g = e[j] + v[col + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = v[col + k];
          g += vkj * d[k];
          e[k] += vkj * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        const col = j * n;
        for (let k = j; k <= i - 1; k++) v[col + k] -= f * e[k] + g * d[k];
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    v[at(n - 1, i)] = v[at(i, i)];
    v[at(i, i)] = 1;
    const h = d[i + 1];
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[next + k] / h;
      for (let j = 0; j <= i; j++) {
        const col = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[next + k] * v[col + k];
        for (let k = 0; k <= i; k++) v[col + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) v[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[at(n - 1, j)];
    v[at(n - 1, j)] = 0;
  }
  v[at(n - 1, n - 1)] = 1;
  e[0] = 0;
}

/** sqrt(a^2 + b^2) without overflow or underflow. */
function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  const m = x > y ? x : y;
  if (m === 0) return 0;
  const p = x / m;
  const q = y / m;
  return m * Math.sqrt(p * p + q * q);
}

/** tql2: eigenvalues of the tridiagonal (d, e) into d, its rotations applied to V's columns. */
function diagonalize(v: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > MAX_QL_ITERATIONS) throw new Error(`symmetricEigen: no convergence for eigenvalue ${l} of ${n}`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const ci = i * n;
          const cj = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const hk = v[cj + k];
            const vk = v[ci + k];
            v[cj + k] = s * vk + c * hk;
            v[ci + k] = c * vk - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}
