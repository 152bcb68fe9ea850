import { parseCsv as parseLibraryCsv } from '../../src/data/csv.js';
import { QmoeInputError } from '../../src/errors.js';
import { LIMITS } from '../../src/moe/limits.js';
import { applyMinMax, ANGLE_RANGES, fitMinMax, type MinMaxScaler, type Range } from '../../src/data/scale.js';
import { stratifiedSplit, takeRows } from '../../src/data/split.js';
import type { Preset } from '../../src/moe/spec.js';
import type { Split, TrainingData } from '../../src/train/engine.js';
import { DEFAULT_MOONS, DEFAULT_SPLIT, prepareData, type DatasetSettings } from '../../src/train/dataset.js';

/**
 * The data a playground run trains on: Two Moons (made by src/train/dataset.ts exactly as
 * `qmoe train` makes it) or a two-feature CSV the user pasted or dropped, split and scaled the
 * same way (stratified 70/15/15, min-max to angles fitted on the training rows).
 */
export interface AppData {
  source: 'moons' | 'csv';
  /** What the page shows as the data set's name. */
  title: string;
  /** Moons only: how to regenerate it (stored in model.json). */
  settings?: DatasetSettings;
  /** Class names as the CSV gave them (moons: '0', '1'). */
  classNames: string[];
  scaler: MinMaxScaler;
  range: Range;
  raw: Float64Array;
  scaled: Float64Array;
  labels: Int32Array;
  features: number;
  classes: number;
  indices: Record<Split, Int32Array>;
  splits: Record<Split, TrainingData>;
}

/** Two Moons as the CLI makes it (1000 samples, noise 0.1, seed 42 by default). */
export function moonsData(preset: Preset, options: Partial<Pick<DatasetSettings, 'samples' | 'noise' | 'seed'>> = {}, scaler?: MinMaxScaler): AppData {
  const settings: DatasetSettings = { ...DEFAULT_MOONS, ...options, split: DEFAULT_SPLIT };
  const d = prepareData(settings, preset, scaler);
  return {
    source: 'moons',
    title: `Two Moons (${settings.samples} samples, noise ${settings.noise}, seed ${settings.seed})`,
    settings,
    classNames: ['0', '1'],
    scaler: d.scaler,
    range: d.range,
    raw: d.raw,
    scaled: d.scaled,
    labels: d.labels,
    features: d.features,
    classes: d.classes,
    indices: d.indices,
    splits: d.splits,
  };
}


/** Rows of a CSV: x1, x2, label (label any text or number; a header line is skipped). */
export interface ParsedCsv {
  x: Float64Array;
  labels: Int32Array;
  classNames: string[];
  rows: number;
  header: string[];
}

/**
 * Parses a two-feature CSV with the library's parser (src/data/csv.ts, as `qmoe train --data-file`
 * reads files): a header row, then `x1, x2, label` per line (commas, semicolons or tabs; the label
 * the last column). Errors name the line and the column. The playground's maps are 2-D, so it
 * takes exactly two feature columns, and at most LIMITS.csvRows.max rows and LIMITS.classes.max
 * classes.
 */
export function parseCsv(text: string): ParsedCsv {
  const t = parseLibraryCsv(text, { maxRows: LIMITS.csvRows.max, maxClasses: LIMITS.classes.max });
  if (t.features.length !== 2) {
    throw new QmoeInputError('CSV header', t.header.join(','), `the playground takes exactly two feature columns and a label column (x1, x2, label); this file has ${t.features.length} feature column${t.features.length === 1 ? '' : 's'}`);
  }
  if (t.rows < LIMITS.csvRows.min) throw new QmoeInputError('CSV rows', t.rows, `at least ${LIMITS.csvRows.min} data rows are needed for a train/validation/test split`);
  return { x: t.x, labels: t.labels, classNames: t.classNames, rows: t.rows, header: t.header };
}

/** A parsed CSV split (stratified, seed `seed`) and scaled like Two Moons. */
export function csvData(csv: ParsedCsv, preset: Preset, name: string, seed = 42): AppData {
  const features = 2;
  const classes = csv.classNames.length;
  const indices = stratifiedSplit(csv.labels, DEFAULT_SPLIT, seed);
  for (const part of ['train', 'validation', 'test'] as const) {
    if (indices[part].length < 1) throw new Error(`too few rows: the ${part} split is empty`);
  }
  const scaler = fitMinMax(csv.x, features, indices.train);
  const range = ANGLE_RANGES[preset];
  const scaled = applyMinMax(csv.x, features, scaler, range);
  const make = (rows: Int32Array): TrainingData => ({
    x: takeRows(scaled, features, rows),
    y: takeRows(csv.labels, 1, rows),
    rows: rows.length,
    features,
    classes,
  });
  return {
    source: 'csv',
    title: `${name} (${csv.rows} rows, ${classes} classes)`,
    classNames: csv.classNames,
    scaler,
    range,
    raw: csv.x,
    scaled,
    labels: csv.labels,
    features,
    classes,
    indices,
    splits: { train: make(indices.train), validation: make(indices.validation), test: make(indices.test) },
  };
}

/** A small CSV users can start from (an XOR pattern: four blobs, two classes). */
export function exampleCsv(): string {
  const lines = ['x1,x2,label'];
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 400; i++) {
    const a = rnd() < 0.5 ? 0 : 1;
    const b = rnd() < 0.5 ? 0 : 1;
    const x = a * 2 - 1 + (rnd() - 0.5) * 0.9;
    const y = b * 2 - 1 + (rnd() - 0.5) * 0.9;
    lines.push(`${x.toFixed(3)},${y.toFixed(3)},${a ^ b ? 'red' : 'blue'}`);
  }
  return lines.join('\n');
}
