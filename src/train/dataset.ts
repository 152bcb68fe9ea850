import { QmoeInputError } from '../errors.js';
import { makeMoons } from '../data/moons.js';
import { ANGLE_RANGES, applyMinMax, fitMinMax, type MinMaxScaler, type Range } from '../data/scale.js';
import { stratifiedSplit, takeRows, type SplitFractions } from '../data/split.js';
import { applyImagePipeline, defaultImageSettings, fitImagePipeline, loadImageSplits, type ImagePipeline, type ImageSettings } from '../data/images.js';
import type { Preset } from '../moe/spec.js';
import type { Split, TrainingData } from './engine.js';

/** Data sets the trainer knows. */
export const DATASETS = ['moons', 'mnist', 'fashion'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** How a data set was made: stored in model.json so `qmoe eval` can regenerate it. */
export interface DatasetSettings {
  name: DatasetName;
  samples: number;
  noise: number;
  /** Seed of the generator and of the stratified split. */
  seed: number;
  split: SplitFractions;
  /**
   * Image data sets (mnist, fashion): source, label pair, split sizes and PCA components
   * (src/data/images.ts). For them `samples` is the total of the three splits, `noise` is 0 and
   * `split` holds the fractions those sizes make; prepareData fills them in.
   */
  image?: ImageSettings;
}

/**
 * The default split: 70% train, 15% validation (early stopping), 15% test (reported), stratified
 * by class. The study's text does not give its split; the code preset's notebooks have none.
 */
export const DEFAULT_SPLIT: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 };

/** The study's Two Moons: 1000 samples, noise 0.1, seed 42 (the notebooks' random_state). */
export const DEFAULT_MOONS: DatasetSettings = { name: 'moons', samples: 1000, noise: 0.1, seed: 42, split: DEFAULT_SPLIT };

export interface PreparedData {
  settings: DatasetSettings;
  /** Min-max scaler fitted on the training rows only. */
  scaler: MinMaxScaler;
  /** The range the features are scaled to (angles, [0, pi]). */
  range: Range;
  /** Every row, unscaled and scaled, and the labels (for plots). */
  raw: Float64Array;
  scaled: Float64Array;
  labels: Int32Array;
  features: number;
  classes: number;
  /** Row indices of each split. */
  indices: Record<Split, Int32Array>;
  splits: Record<Split, TrainingData>;
  /** Image data sets: the standard scaler and PCA fitted on the training rows (raw then holds the PCA features). */
  pipeline?: ImagePipeline;
}

/**
 * Fills in the settings of an image data set: its defaults (study sizes; see
 * defaultImageSettings) under any given `image` fields, and samples / noise / split to match.
 * Moons settings come back unchanged.
 */
export function normalizeSettings(settings: DatasetSettings): DatasetSettings {
  if (settings.name === 'moons') return settings;
  const base = defaultImageSettings(settings.name, settings.image?.dir);
  const image: ImageSettings = { ...base, ...(settings.image ?? {}) };
  if (image.source === 'idx' && image.dir === undefined) image.dir = base.dir;
  const total = image.train + image.validation + image.test;
  return { name: settings.name, samples: total, noise: 0, seed: settings.seed, split: { train: image.train / total, validation: image.validation / total, test: image.test / total }, image };
}

/**
 * Generates the data set, splits it (stratified, seeded by settings.seed), fits a min-max scaler
 * on the training rows and scales every row to the angle range of the preset ([0, pi], see
 * src/data/scale.ts). A given `scaler` (from a saved model) is applied instead of fitting one.
 */
export function prepareData(settings: DatasetSettings, preset: Preset, scaler?: MinMaxScaler): PreparedData {
  if (settings.name === 'mnist' || settings.name === 'fashion') return prepareImageData(normalizeSettings(settings), preset, scaler);
  if (settings.name !== 'moons') throw new QmoeInputError('--dataset', settings.name, `must be one of ${DATASETS.join(', ')}`);
  const ds = makeMoons({ samples: settings.samples, noise: settings.noise, seed: settings.seed });
  const idx = stratifiedSplit(ds.y, settings.split, settings.seed);
  for (const part of ['train', 'validation', 'test'] as const) {
    if (idx[part].length < 1) throw new QmoeInputError('--samples', settings.samples, `too few samples: the ${part} split is empty`);
  }
  const fitted = scaler ?? fitMinMax(ds.x, ds.features, idx.train);
  const range = ANGLE_RANGES[preset];
  const scaled = applyMinMax(ds.x, ds.features, fitted, range);
  const make = (rows: Int32Array): TrainingData => ({
    x: takeRows(scaled, ds.features, rows),
    y: takeRows(ds.y, 1, rows),
    rows: rows.length,
    features: ds.features,
    classes: ds.classes,
  });
  return {
    settings,
    scaler: fitted,
    range,
    raw: ds.x,
    scaled,
    labels: ds.y,
    features: ds.features,
    classes: ds.classes,
    indices: idx,
    splits: { train: make(idx.train), validation: make(idx.validation), test: make(idx.test) },
  };
}

/**
 * MNIST / Fashion-MNIST: loads the pair's images, draws the three splits (stratified, seeded by
 * settings.seed), fits standard scaling, PCA and min-max on the training rows only and applies
 * them to every split. Rows are laid out train, then validation, then test (`indices`); `raw`
 * holds the PCA features before the min-max, `scaled` the angles.
 */
function prepareImageData(settings: DatasetSettings, preset: Preset, scaler?: MinMaxScaler): PreparedData {
  const image = settings.image!;
  for (const [k, min] of [['train', 2], ['validation', 1], ['test', 1]] as const) {
    const v = image[k];
    if (!Number.isInteger(v) || v < min) throw new QmoeInputError(`--${k === 'train' ? 'train' : k === 'validation' ? 'val' : 'test'}-size`, v, `must be an integer >= ${min}`);
  }
  if (!Number.isInteger(image.components) || image.components < 1 || image.components > 64) throw new QmoeInputError('--components', image.components, 'must be an integer from 1 to 64');
  const raw = loadImageSplits(settings.name as 'mnist' | 'fashion', image, settings.seed);
  const range = ANGLE_RANGES[preset];
  const k = image.components;
  if (scaler && scaler.min.length !== k) throw new QmoeInputError('scaler.min.length', scaler.min.length, `must equal --components (${k})`);
  const pipeline = fitImagePipeline(raw.x.train, raw.pixels, k, range, scaler);
  const parts = (['train', 'validation', 'test'] as const).map((p) => ({ p, ...applyImagePipeline(pipeline, raw.x[p], raw.pixels), y: raw.y[p] }));
  const rows = parts.reduce((s, q) => s + q.y.length, 0);
  const rawAll = new Float64Array(rows * k);
  const scaled = new Float64Array(rows * k);
  const labels = new Int32Array(rows);
  const indices = {} as Record<Split, Int32Array>;
  const splits = {} as Record<Split, TrainingData>;
  let at = 0;
  for (const q of parts) {
    const n = q.y.length;
    rawAll.set(q.features, at * k);
    scaled.set(q.angles, at * k);
    labels.set(q.y, at);
    indices[q.p] = Int32Array.from({ length: n }, (_, i) => at + i);
    splits[q.p] = { x: q.angles, y: q.y, rows: n, features: k, classes: 2 };
    at += n;
  }
  return { settings, scaler: pipeline.minmax, range, raw: rawAll, scaled, labels, features: k, classes: 2, indices, splits, pipeline };
}
