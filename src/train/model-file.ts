/**
 * model.json without file access: its types, building its text and validating a parsed one. The
 * browser app uses this module; checkpoint.ts adds reading and (atomic) writing files in Node.
 */
import { QmoeInputError, checkInt } from '../errors.js';
import type { MinMaxScaler } from '../data/scale.js';
import { checkLimit, checkSpecLimits, limitMax, type LimitScope } from '../moe/limits.js';
import { paramLayout, validateSpec } from '../moe/models.js';
import type { ModelSpec } from '../moe/spec.js';
import { quantumParts } from '../moe/mixture-spec.js';
import type { GateNoiseRecord } from '../noise/training.js';
import { DATASETS, type DatasetSettings } from './dataset.js';

export const MODEL_FORMAT = 'qmoe-model';
export const MODEL_VERSION = 1;

/** How the model was trained (for the record; `qmoe eval` does not need it). */
export interface TrainingSettings {
  backend: 'cpu' | 'webgpu';
  lr: number;
  epochs: number;
  batch: number;
  seed: number;
  patience: number;
  minDelta: number;
  init: string;
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  /**
   * The router's noise during training (noise-aware training), null or absent without noise.
   * Recorded so that a reloaded model is scored under the same noise.
   */
  gateNoise?: GateNoiseRecord | null;
}

/**
 * model.json: everything needed to rebuild the model and its inputs.
 *  - spec: the ModelSpec; params: the flat vector (layout in src/moe/spec.ts), paramLayout(spec).total numbers;
 *  - scaler: the min-max scaler fitted on the training split (src/data/scale.ts) and `range`, the
 *    interval it maps to (angles, [0, pi]);
 *  - dataset: how to regenerate the data and its split; training: the settings; metrics: the
 *    summary written to metrics.json (without the history).
 */
export interface SavedModel {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  spec: ModelSpec;
  params: number[];
  scaler: MinMaxScaler;
  range: [number, number];
  dataset: DatasetSettings;
  training: TrainingSettings;
  metrics: Record<string, unknown>;
}

/**
 * The model record of a finished training run: the kept parameters, the data's scaling and
 * settings, how it was trained and its metrics (`qmoe train` and the browser app write the same).
 */
export function savedModel(o: {
  spec: ModelSpec;
  result: { params: ArrayLike<number>; epochsRun: number; bestEpoch: number; stoppedEarly: boolean };
  data: { scaler: MinMaxScaler; range: readonly [number, number] | number[]; settings: DatasetSettings };
  training: Omit<TrainingSettings, 'epochsRun' | 'bestEpoch' | 'stoppedEarly' | 'minDelta'>;
  metrics: Record<string, unknown>;
}): SavedModel {
  const { result } = o;
  // The gate noise is recorded with the training settings (metrics.gateNoise is the same record).
  const gateNoise = o.training.gateNoise ?? (o.metrics.gateNoise as GateNoiseRecord | null | undefined) ?? null;
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    spec: o.spec,
    params: Array.from(result.params),
    scaler: o.data.scaler,
    range: [o.data.range[0], o.data.range[1]],
    dataset: o.data.settings,
    training: { ...o.training, gateNoise, minDelta: 0, epochsRun: result.epochsRun, bestEpoch: result.bestEpoch, stoppedEarly: result.stoppedEarly },
    metrics: o.metrics,
  };
}

/** The model file's text, validated first (so a model that loadModel would refuse is never written). */
export function modelJson(model: SavedModel): string {
  const checked = validateModel(JSON.parse(JSON.stringify(model)), 'model');
  return JSON.stringify(checked, null, 2) + '\n';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The largest finite float32: parameters beyond it overflow the GPU engine's f32 buffers. */
export const FLOAT32_MAX = 3.4028234663852886e38;

function numberArray(where: string, v: unknown, length: number, what: string, bound = Infinity): number[] {
  if (!Array.isArray(v)) throw new QmoeInputError(where, v, `must be an array of ${length} ${what}`);
  if (v.length !== length) throw new QmoeInputError(`${where}.length`, v.length, `must be ${length} (${what})`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new QmoeInputError(`${where}[${i}]`, x, 'must be a finite number');
    if (Math.abs(x) > bound) throw new QmoeInputError(`${where}[${i}]`, x, `is beyond float32's range (magnitude at most ${bound.toExponential(4)})`);
  });
  return v as number[];
}

function finiteNumber(where: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range = min > -Infinity && max < Infinity ? `from ${min} to ${max}` : min > -Infinity ? `>= ${min}` : max < Infinity ? `<= ${max}` : '';
    throw new QmoeInputError(where, v, `must be a finite number${range ? ' ' + range : ''}`);
  }
  return v;
}

export interface ValidateOptions {
  /**
   * The column of the limits table (src/moe/limits.ts) the model's sizes must fit: 'file' (the
   * default: `qmoe eval`) or 'app' (the browser app, which regenerates and scores the data in a tab).
   */
  scope?: LimitScope;
}

const BACKENDS = ['cpu', 'webgpu'];

/**
 * Checks a parsed model object completely and returns it typed; every problem is a
 * QmoeInputError naming the field (`model.scaler.max[1]`), the value and the limit:
 *  - format and version; the spec (src/moe/models.ts validateSpec) and its sizes against the
 *    limits table; params: the spec's count of finite numbers within float32's range;
 *  - scaler: min-max with one finite min < max per feature; range [lo, hi] with lo < hi;
 *  - dataset: a known kind (moons, mnist, fashion, csv) whose features and classes are the spec's,
 *    a sample count inside the limit, finite noise, a 32-bit seed, split fractions in [0, 1];
 *  - training: an object; where present, backend cpu or webgpu and a gate-noise record with a
 *    rate p from 0 to 1 (the noise the model was trained under, which evaluation should repeat).
 * Whether the parameters give finite outputs is a question for an engine (the browser app runs a
 * probe batch before it shows a loaded model).
 */
export function validateModel(json: unknown, where = 'model', options: ValidateOptions = {}): SavedModel {
  const scope = options.scope ?? 'file';
  if (!isObject(json)) throw new QmoeInputError(where, json, 'must be a JSON object');
  if (json.format !== MODEL_FORMAT) throw new QmoeInputError(`${where}.format`, json.format, `must be "${MODEL_FORMAT}" (not a qmoe model file)`);
  if (json.version !== MODEL_VERSION) throw new QmoeInputError(`${where}.version`, json.version, `must be ${MODEL_VERSION} (this qmoe reads version ${MODEL_VERSION} only)`);
  const spec = validateSpec(json.spec, `${where}.spec`);
  const training = json.training;
  if (!isObject(training)) throw new QmoeInputError(`${where}.training`, training, 'must be an object');
  const gateNoise = validateGateNoise(`${where}.training.gateNoise`, training.gateNoise ?? (isObject(json.metrics) ? json.metrics.gateNoise : undefined), spec);
  checkSpecLimits(spec, scope === 'app' ? (gateNoise?.p ?? 0) : 0, `${where}.spec`, scope);
  const layout = paramLayout(spec);
  numberArray(`${where}.params`, json.params, layout.total, `the parameter count of this spec: ${layout.router} router + ${layout.experts} experts`, FLOAT32_MAX);
  const scaler = json.scaler;
  if (!isObject(scaler) || scaler.kind !== 'minmax') throw new QmoeInputError(`${where}.scaler.kind`, isObject(scaler) ? scaler.kind : scaler, 'must be "minmax"');
  const lo = numberArray(`${where}.scaler.min`, scaler.min, spec.features, `one minimum per feature (the spec has ${spec.features} features)`);
  const hi = numberArray(`${where}.scaler.max`, scaler.max, spec.features, `one maximum per feature (the spec has ${spec.features} features)`);
  lo.forEach((m, i) => {
    if (!(hi[i] > m)) throw new QmoeInputError(`${where}.scaler.max[${i}]`, hi[i], `must be greater than scaler.min[${i}] = ${m} (a feature whose min is not below its max cannot be scaled)`);
  });
  const range = numberArray(`${where}.range`, json.range, 2, 'numbers [lo, hi]');
  if (!(range[0] < range[1])) throw new QmoeInputError(`${where}.range`, range, 'must be [lo, hi] with lo < hi');
  validateDataset(`${where}.dataset`, json.dataset, spec, scope);
  if (training.backend !== undefined && !BACKENDS.includes(training.backend as string)) throw new QmoeInputError(`${where}.training.backend`, training.backend, `must be one of ${BACKENDS.join(', ')}`);
  if (json.metrics !== undefined && !isObject(json.metrics)) throw new QmoeInputError(`${where}.metrics`, json.metrics, 'must be an object');
  return { ...(json as unknown as SavedModel), spec, metrics: (json.metrics as Record<string, unknown>) ?? {} };
}

function validateDataset(where: string, ds: unknown, spec: ModelSpec, scope: LimitScope): void {
  if (!isObject(ds)) throw new QmoeInputError(where, ds, 'must be an object {name, samples, noise, seed, split}');
  if (!(DATASETS as readonly unknown[]).includes(ds.name)) throw new QmoeInputError(`${where}.name`, ds.name, `unknown data set kind; must be one of ${DATASETS.join(', ')}`);
  const image = ds.image;
  if (ds.name === 'moons') {
    if (spec.features !== 2 || spec.classes !== 2) throw new QmoeInputError(`${where}.name`, ds.name, `Two Moons has 2 features and 2 classes; the spec has ${spec.features} and ${spec.classes}`);
  } else if (ds.name === 'csv') {
    // The user's own file: its columns and classes are whatever the spec was trained on; the
    // file itself is checked against them when it is read (src/train/dataset.ts).
    if (!isObject(ds.csv) || typeof ds.csv.file !== 'string') throw new QmoeInputError(`${where}.csv`, ds.csv, 'must be an object {file, labelColumn, classNames}');
    if (ds.csv.classNames !== undefined && (!Array.isArray(ds.csv.classNames) || ds.csv.classNames.length !== spec.classes)) {
      throw new QmoeInputError(`${where}.csv.classNames`, ds.csv.classNames, `must list the spec's ${spec.classes} classes`);
    }
  } else {
    if (image !== undefined && !isObject(image)) throw new QmoeInputError(`${where}.image`, image, 'must be an object {source, classes, train, validation, test, components}');
    const components = isObject(image) && image.components !== undefined ? image.components : 8;
    // Files written before `classes` existed name their two labels `pair`.
    const labels = isObject(image) ? (image.classes ?? image.pair) : undefined;
    const classes = Array.isArray(labels) ? labels.length : 2;
    if (spec.features !== components || spec.classes !== classes) {
      throw new QmoeInputError(`${where}.image.components`, components, `the spec has ${spec.features} features and ${spec.classes} classes: ${ds.name} gives ${String(components)} PCA features and ${classes} classes`);
    }
  }
  // Moons are generated (the app's limits); image and CSV sets count the rows they were split
  // into, which can be far fewer (a 24-qubit run on a dozen images).
  if (ds.name === 'moons') checkLimit('samples', ds.samples, `${where}.samples`, scope);
  else checkInt(`${where}.samples`, ds.samples, 1, limitMax('samples', 'file'));
  finiteNumber(`${where}.noise`, ds.noise, 0, limitMax('dataNoise', scope));
  checkLimit('dataSeed', ds.seed, `${where}.seed`, scope);
  if (!isObject(ds.split)) throw new QmoeInputError(`${where}.split`, ds.split, 'must be an object {train, validation, test}');
  for (const k of ['train', 'validation', 'test']) finiteNumber(`${where}.split.${k}`, ds.split[k], 0, 1);
}

const PLACEMENTS = ['every-gate', 'embedding-output'];

/** The gate-noise record of training (null or absent: trained without noise). */
function validateGateNoise(where: string, v: unknown, spec: ModelSpec): GateNoiseRecord | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new QmoeInputError(where, v, 'must be null or an object {p, placement, trajectories, ...}');
  finiteNumber(`${where}.p`, v.p, 0, 1);
  if (!PLACEMENTS.includes(v.placement as string)) throw new QmoeInputError(`${where}.placement`, v.placement, `must be one of ${PLACEMENTS.join(', ')}`);
  if (!Number.isInteger(v.trajectories) || (v.trajectories as number) < 1) throw new QmoeInputError(`${where}.trajectories`, v.trajectories, 'must be an integer >= 1');
  if ((v.p as number) > 0 && quantumParts(spec).length === 0) {
    throw new QmoeInputError(`${where}.p`, v.p, `gate noise applies to quantum circuits only; the spec's router is ${spec.router}, its experts ${spec.expertsKind ?? 'linear'}`);
  }
  if (v.circuits !== undefined) {
    const want = quantumParts(spec);
    if (!Array.isArray(v.circuits) || v.circuits.length !== want.length || v.circuits.some((c, i) => c !== want[i])) {
      throw new QmoeInputError(`${where}.circuits`, v.circuits, `must be ${JSON.stringify(want)}, the spec's quantum circuits`);
    }
  }
  return v as unknown as GateNoiseRecord;
}
