import { PCA } from 'ml-pca';
import { describe, expect, it } from 'vitest';
import { applyPca, fitPca, symmetricEigen } from '../../src/data/pca.js';
import { Rng } from '../../src/data/rng.js';
import { takeRows } from '../../src/data/split.js';

/** Rows with correlated columns: x = z A + noise, z ~ N(0, diag(scales)). */
function correlated(rows: number, width: number, seed: number, latent = 5): Float64Array {
  const rng = new Rng(seed);
  const a = Float64Array.from({ length: latent * width }, () => rng.normal());
  const x = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const z = Array.from({ length: latent }, (_, l) => rng.normal() * (latent - l) * 2);
    for (let j = 0; j < width; j++) {
      let s = 3 + 0.1 * rng.normal();
      for (let l = 0; l < latent; l++) s += z[l] * a[l * width + j];
      x[r * width + j] = s;
    }
  }
  return x;
}

function compareWithMlPca(x: Float64Array, width: number, k: number): void {
  const rows = x.length / width;
  const ours = fitPca(x, width, k);
  const data = Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * width, (r + 1) * width)));
  const ref = new PCA(data, { center: true, scale: false });
  const vals = ref.getEigenvalues();
  const vecs = ref.getEigenvectors().to2DArray(); // width x width, column m = component m
  for (let m = 0; m < k; m++) {
    expect(ours.variance[m]).toBeCloseTo(vals[m], 8);
    const dot = ours.components[m].reduce((s, v, j) => s + v * vecs[j][m], 0);
    expect(Math.abs(dot)).toBeCloseTo(1, 8);
  }
  const proj = applyPca(x, width, ours);
  const refProj = ref.predict(data, { nComponents: k }).to2DArray();
  for (let m = 0; m < k; m++) {
    const sign = Math.sign(ours.components[m].reduce((s, v, j) => s + v * vecs[j][m], 0));
    for (let r = 0; r < rows; r += 7) expect(proj[r * k + m]).toBeCloseTo(sign * refProj[r][m], 6);
  }
}

describe('PCA', () => {
  it('matches a 2-D case worked by hand', () => {
    // Rows (2,2), (-2,-2), (1,-1), (-1,1): mean 0, covariance (n - 1 = 3) [[10/3, 2], [2, 10/3]],
    // eigenvalues 16/3 along (1,1)/sqrt2 and 4/3 along (1,-1)/sqrt2.
    const x = [2, 2, -2, -2, 1, -1, -1, 1];
    const p = fitPca(x, 2, 2);
    expect(p.mean).toEqual([0, 0]);
    expect(p.variance[0]).toBeCloseTo(16 / 3, 12);
    expect(p.variance[1]).toBeCloseTo(4 / 3, 12);
    expect(p.varianceRatio[0]).toBeCloseTo(0.8, 12);
    expect(p.components[0][0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(p.components[0][1]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(p.components[1][0]).toBeCloseTo(Math.SQRT1_2, 12); // sign: largest entry (first on ties) positive
    expect(p.components[1][1]).toBeCloseTo(-Math.SQRT1_2, 12);
    const proj = applyPca([2, 2, 1, -1, 3, 0], 2, p);
    expect(proj[0]).toBeCloseTo(2 * Math.SQRT2, 12);
    expect(proj[1]).toBeCloseTo(0, 12);
    expect(proj[2]).toBeCloseTo(0, 12);
    expect(proj[3]).toBeCloseTo(Math.SQRT2, 12);
    expect(proj[4]).toBeCloseTo(3 * Math.SQRT1_2, 12);
  });

  it('Jacobi eigen-decomposition reconstructs a symmetric matrix', () => {
    const n = 6;
    const rng = new Rng(3);
    const b = Float64Array.from({ length: n * n }, () => rng.normal());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let m = 0; m < n; m++) s += values[m] * vectors[m][i] * vectors[m][j];
        expect(s).toBeCloseTo(a[i * n + j], 10);
      }
    }
    for (let m = 1; m < n; m++) expect(values[m]).toBeLessThanOrEqual(values[m - 1]);
  });

  it('agrees with ml-pca (an independent implementation) on 12 dense columns', () => {
    compareWithMlPca(correlated(200, 12, 1), 12, 5);
  });

  it('agrees with ml-pca on 90 dense columns', () => {
    // 10 latent factors of distinct scales: the 8 leading components are well separated.
    compareWithMlPca(correlated(300, 90, 2, 10), 90, 8);
  });

  it('agrees with ml-pca on sparse, image-like rows (the sparse covariance path) and odd sizes', () => {
    // Mostly zeros with a bright blob whose place and size depend on a latent class: like MNIST.
    const rows = 257;
    const width = 81;
    const rng = new Rng(9);
    const x = new Float64Array(rows * width);
    for (let r = 0; r < rows; r++) {
      const c = rng.int(3);
      const at = 10 + 25 * c + rng.int(6);
      const len = 4 + 3 * c + rng.int(4);
      for (let j = at; j < Math.min(width, at + len); j++) x[r * width + j] = Math.round(255 * rng.next()) / 255;
    }
    compareWithMlPca(x, width, 6);
  });

  it('fits on the given (training) rows only', () => {
    const width = 10;
    const x = correlated(120, width, 4);
    const train = Int32Array.from({ length: 80 }, (_, i) => i);
    const a = fitPca(x, width, 3, train);
    expect(a).toEqual(fitPca(takeRows(x, width, train), width, 3));
    const moved = x.slice();
    for (let i = 80 * width; i < moved.length; i++) moved[i] = 1000 * Math.sin(i);
    expect(fitPca(moved, width, 3, train)).toEqual(a);
    expect(fitPca(moved, width, 3)).not.toEqual(a);
  });

  it('rejects too many components and too few rows', () => {
    expect(() => fitPca([1, 2, 3, 4], 2, 3)).toThrow(/components/);
    expect(() => fitPca([1, 2], 2, 1)).toThrow(/at least 2 rows/);
  });
});
