import { QmoeInputError } from '../errors.js';
import { makeMoons } from '../data/moons.js';
import { ANGLE_RANGES, applyMinMax, fitMinMax, type MinMaxScaler, type Range } from '../data/scale.js';
import { stratifiedSplit, takeRows, type SplitFractions } from '../data/split.js';
import type { Preset } from '../moe/spec.js';
import type { Split, TrainingData } from './engine.js';

/** Data sets the trainer knows. */
export const DATASETS = ['moons'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** How a data set was made: stored in model.json so `qmoe eval` can regenerate it. */
export interface DatasetSettings {
  name: DatasetName;
  samples: number;
  noise: number;
  /** Seed of the generator and of the stratified split. */
  seed: number;
  split: SplitFractions;
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
}

/**
 * Generates the data set, splits it (stratified, seeded by settings.seed), fits a min-max scaler
 * on the training rows and scales every row to the angle range of the preset ([0, pi], see
 * src/data/scale.ts). A given `scaler` (from a saved model) is applied instead of fitting one.
 */
export function prepareData(settings: DatasetSettings, preset: Preset, scaler?: MinMaxScaler): PreparedData {
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
