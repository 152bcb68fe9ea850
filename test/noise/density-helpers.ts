/** Dense complex density-matrix helpers for tests: explicit Pauli sums, independent of the closed forms under test. */
export type C = [number, number];
export const PAULI: C[][][] = [
  [[[1, 0], [0, 0]], [[0, 0], [1, 0]]],
  [[[0, 0], [1, 0]], [[1, 0], [0, 0]]],
  [[[0, 0], [0, -1]], [[0, 1], [0, 0]]],
  [[[1, 0], [0, 0]], [[0, 0], [-1, 0]]],
];

/** The full 2^n x 2^n matrix of Paulis a on qubit qa (and b on qb). */
export function pauliOperator(n: number, terms: [number, number][]): C[][] {
  const dim = 2 ** n;
  const m: C[][] = Array.from({ length: dim }, () => Array.from({ length: dim }, () => [0, 0] as C));
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) {
      let v: C = [1, 0];
      for (let q = 0; q < n; q++) {
        const br = (r >> (n - 1 - q)) & 1, bc = (c >> (n - 1 - q)) & 1;
        const t = terms.find(([qq]) => qq === q);
        const e = t ? PAULI[t[1]][br][bc] : br === bc ? ([1, 0] as C) : ([0, 0] as C);
        v = [v[0] * e[0] - v[1] * e[1], v[0] * e[1] + v[1] * e[0]];
      }
      m[r][c] = v;
    }
  }
  return m;
}

/** P rho P^+ for rho interleaved (dim x dim). */
export function conjugate(rho: Float64Array, P: C[][], dim: number): Float64Array {
  const out = new Float64Array(rho.length);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) {
      let re = 0, im = 0;
      for (let a = 0; a < dim; a++) {
        for (let b = 0; b < dim; b++) {
          // P[r][a] rho[a][b] conj(P[c][b])
          const p = P[r][a], q = P[c][b];
          if ((p[0] === 0 && p[1] === 0) || (q[0] === 0 && q[1] === 0)) continue;
          const xr = rho[2 * (a * dim + b)], xi = rho[2 * (a * dim + b) + 1];
          const tr = p[0] * xr - p[1] * xi, ti = p[0] * xi + p[1] * xr;
          re += tr * q[0] + ti * q[1];
          im += ti * q[0] - tr * q[1];
        }
      }
      out[2 * (r * dim + c)] = re;
      out[2 * (r * dim + c) + 1] = im;
    }
  }
  return out;
}

/** A random density matrix: sum of a few weighted random pure states. */
export function randomRho(rng: () => number, dim: number): Float64Array {
  const rho = new Float64Array(2 * dim * dim);
  let total = 0;
  for (let s = 0; s < 3; s++) {
    const psi = Array.from({ length: 2 * dim }, () => rng() * 2 - 1);
    const w = rng();
    total += w * psi.reduce((a, v) => a + v * v, 0);
    for (let r = 0; r < dim; r++) {
      for (let c = 0; c < dim; c++) {
        const ar = psi[2 * r], ai = psi[2 * r + 1], br = psi[2 * c], bi = psi[2 * c + 1];
        rho[2 * (r * dim + c)] += w * (ar * br + ai * bi);
        rho[2 * (r * dim + c) + 1] += w * (ai * br - ar * bi);
      }
    }
  }
  return rho.map((v) => v / total);
}

export function trace(rho: Float64Array, dim: number): [number, number] {
  let re = 0, im = 0;
  for (let k = 0; k < dim; k++) {
    re += rho[2 * (k * dim + k)];
    im += rho[2 * (k * dim + k) + 1];
  }
  return [re, im];
}

