import { describe, expect, it } from 'vitest';
import { covariance } from '../../src/data/covariance.js';
import { symmetricEigen } from '../../src/data/eigen.js';
import { Rng } from '../../src/data/rng.js';

/** The textbook two-pass covariance (center first), the reference. */
function naive(x: ArrayLike<number>, width: number, rows: number[], scale = 1): { mean: number[]; cov: number[] } {
  const n = rows.length;
  const mean = new Array<number>(width).fill(0);
  for (const r of rows) for (let j = 0; j < width; j++) mean[j] += (x[r * width + j] * scale) / n;
  const cov = new Array<number>(width * width).fill(0);
  for (const r of rows) {
    for (let i = 0; i < width; i++) {
      const di = x[r * width + i] * scale - mean[i];
      for (let j = 0; j < width; j++) cov[i * width + j] += (di * (x[r * width + j] * scale - mean[j])) / (n - 1);
    }
  }
  return { mean, cov };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let size = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    size = Math.max(size, Math.abs(want[i]));
  }
  expect(worst).toBeLessThanOrEqual(tol * Math.max(size, 1e-300));
}

describe('covariance', () => {
  it('matches the two-pass covariance on sparse rows, dense rows and both mixed, with odd sizes', () => {
    const rng = new Rng(5);
    const width = 37;
    const rows = 203;
    const x = new Float64Array(rows * width);
    for (let r = 0; r < rows; r++) {
      // Row r: dense (every column), sparse (a few columns) or empty, so both update paths and
      // a partly filled last block of dense rows are exercised.
      const kind = r % 5;
      for (let j = 0; j < width; j++) {
        if (kind === 0 || kind === 3) x[r * width + j] = rng.normal() + j * 0.1;
        else if (kind !== 4 && rng.next() < 0.15) x[r * width + j] = rng.normal();
      }
    }
    const all = Array.from({ length: rows }, (_, i) => i);
    const c = covariance(x, width);
    const ref = naive(x, width, all);
    expect(c.n).toBe(rows);
    expectClose(c.mean, ref.mean, 1e-13);
    expectClose(c.cov, ref.cov, 1e-12);
    // Chosen rows (as the training split), in any order, and a scale (image bytes / 255).
    const pick = all.filter((r) => r % 3 !== 1).reverse();
    const bytes = Uint8Array.from(x, (v) => Math.min(255, Math.abs(Math.round(40 * v))));
    const cb = covariance(bytes, width, { rows: pick, scale: 1 / 255 });
    const rb = naive(bytes, width, pick, 1 / 255);
    expectClose(cb.mean, rb.mean, 1e-13);
    expectClose(cb.cov, rb.cov, 1e-12);
  });

  it('keeps its accuracy for columns far from zero (shifted by their mean)', () => {
    const rng = new Rng(6);
    const width = 5;
    const rows = 400;
    const x = Float64Array.from({ length: rows * width }, (_, i) => 1e7 * (1 + (i % width)) + rng.normal());
    const c = covariance(x, width);
    const ref = naive(x, width, Array.from({ length: rows }, (_, i) => i));
    // The variances are ~1 next to values of 1e7: an unshifted scatter would lose them entirely.
    for (let j = 0; j < width; j++) expect(c.cov[j * width + j]).toBeCloseTo(ref.cov[j * width + j], 8);
    expectClose(c.cov, ref.cov, 1e-8);
  });

  it('names bad input', () => {
    expect(() => covariance([1, 2, 3], 2)).toThrow(/x.length/);
    expect(() => covariance([1, 2], 2)).toThrow(/at least 2 rows/);
    expect(() => covariance([1, NaN, 3, 4], 2)).toThrow(/x\[row 0, column 1\]/);
    expect(() => covariance([1, 2, 3, 4], 2, { rows: [0, 2] })).toThrow(/rows\[1\]/);
  });
});

describe('symmetricEigen', () => {
  /** Max |A - V diag(values) V^T| and max |V^T V - I|. */
  function residuals(a: Float64Array, n: number): { fit: number; orth: number } {
    const { values, vectors } = symmetricEigen(a, n);
    let fit = 0;
    let orth = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let d = 0;
        for (let m = 0; m < n; m++) {
          s += values[m] * vectors[m][i] * vectors[m][j];
          d += vectors[i][m] * vectors[j][m];
        }
        fit = Math.max(fit, Math.abs(s - a[i * n + j]));
        orth = Math.max(orth, Math.abs(d - (i === j ? 1 : 0)));
      }
    }
    for (let m = 1; m < n; m++) expect(values[m]).toBeLessThanOrEqual(values[m - 1]);
    return { fit, orth };
  }

  it('decomposes random, repeated-eigenvalue, diagonal, zero and 1 x 1 matrices', () => {
    const rng = new Rng(8);
    for (const n of [1, 2, 3, 17, 64]) {
      const b = Float64Array.from({ length: n * n }, () => rng.normal());
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
      const r = residuals(a, n);
      expect(r.fit).toBeLessThan(1e-11 * n);
      expect(r.orth).toBeLessThan(1e-12 * n);
    }
    // A projector of rank 3 in 9 dimensions: eigenvalue 1 three times, 0 six times.
    const n = 9;
    const q = Array.from({ length: 3 }, () => Float64Array.from({ length: n }, () => rng.normal()));
    for (let k = 0; k < 3; k++) {
      for (let l = 0; l < k; l++) {
        const d = q[k].reduce((s, v, i) => s + v * q[l][i], 0);
        for (let i = 0; i < n; i++) q[k][i] -= d * q[l][i];
      }
      const norm = Math.hypot(...q[k]);
      for (let i = 0; i < n; i++) q[k][i] /= norm;
    }
    const p = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p[i * n + j] = q.reduce((s, v) => s + v[i] * v[j], 0);
    expect(residuals(p, n).fit).toBeLessThan(1e-12);
    expect(symmetricEigen(p, n).values.map((v) => Math.round(v * 1e9) / 1e9 + 0)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(symmetricEigen(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3).values).toEqual([3, 2, -1]);
    expect(symmetricEigen(new Float64Array(16), 4).values).toEqual([0, 0, 0, 0]);
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(/a.length/);
  });
});
