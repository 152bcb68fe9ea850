/**
 * model.json without file access: its types, building its text and validating a parsed one. The
 * browser app uses this module; checkpoint.ts adds reading and (atomic) writing files in Node.
 */
import { QmoeInputError } from '../errors.js';
import type { MinMaxScaler } from '../data/scale.js';
import { paramLayout, validateSpec } from '../moe/models.js';
import type { ModelSpec } from '../moe/spec.js';
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
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    spec: o.spec,
    params: Array.from(result.params),
    scaler: o.data.scaler,
    range: [o.data.range[0], o.data.range[1]],
    dataset: o.data.settings,
    training: { ...o.training, minDelta: 0, epochsRun: result.epochsRun, bestEpoch: result.bestEpoch, stoppedEarly: result.stoppedEarly },
    metrics: o.metrics,
  };
}

/** The model file's text, validated first (so a model that loadModel would refuse is never written). */
export function modelJson(model: SavedModel): string {
  const checked = validateModel(JSON.parse(JSON.stringify(model)), 'model');
  return JSON.stringify(checked, null, 2) + '\n';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function finiteArray(where: string, v: unknown, length: number, what: string): number[] {
  if (!Array.isArray(v)) throw new QmoeInputError(where, v, `must be an array of ${length} ${what}`);
  if (v.length !== length) throw new QmoeInputError(`${where}.length`, v.length, `must be ${length} (${what})`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new QmoeInputError(`${where}[${i}]`, x, 'must be a finite number');
  });
  return v as number[];
}

function finiteNumber(where: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new QmoeInputError(where, v, min > -Infinity ? `must be a finite number >= ${min}` : 'must be a finite number');
  return v;
}

/** Checks a parsed model object; returns it typed. */
export function validateModel(json: unknown, where = 'model'): SavedModel {
  if (!isObject(json)) throw new QmoeInputError(where, json, 'must be a JSON object');
  if (json.format !== MODEL_FORMAT) throw new QmoeInputError(`${where}.format`, json.format, `must be "${MODEL_FORMAT}" (not a qmoe model file)`);
  if (json.version !== MODEL_VERSION) throw new QmoeInputError(`${where}.version`, json.version, `must be ${MODEL_VERSION} (this qmoe reads version ${MODEL_VERSION} only)`);
  const spec = validateSpec(json.spec, `${where}.spec`);
  const layout = paramLayout(spec);
  finiteArray(`${where}.params`, json.params, layout.total, `the parameter count of this spec: ${layout.router} router + ${layout.experts} experts`);
  const scaler = json.scaler;
  if (!isObject(scaler) || scaler.kind !== 'minmax') throw new QmoeInputError(`${where}.scaler.kind`, isObject(scaler) ? scaler.kind : scaler, 'must be "minmax"');
  finiteArray(`${where}.scaler.min`, scaler.min, spec.features, 'one minimum per feature');
  finiteArray(`${where}.scaler.max`, scaler.max, spec.features, 'one maximum per feature');
  const range = finiteArray(`${where}.range`, json.range, 2, 'numbers [lo, hi]');
  if (!(range[0] <= range[1])) throw new QmoeInputError(`${where}.range`, range, 'must be [lo, hi] with lo <= hi');
  const ds = json.dataset;
  if (!isObject(ds)) throw new QmoeInputError(`${where}.dataset`, ds, 'must be an object {name, samples, noise, seed, split}');
  if (!(DATASETS as readonly unknown[]).includes(ds.name)) throw new QmoeInputError(`${where}.dataset.name`, ds.name, `must be one of ${DATASETS.join(', ')}`);
  if (!Number.isInteger(ds.samples) || (ds.samples as number) < 3) throw new QmoeInputError(`${where}.dataset.samples`, ds.samples, 'must be an integer >= 3');
  finiteNumber(`${where}.dataset.noise`, ds.noise, 0);
  if (!Number.isInteger(ds.seed) || (ds.seed as number) < 0 || (ds.seed as number) > 0xffffffff) throw new QmoeInputError(`${where}.dataset.seed`, ds.seed, 'must be an integer from 0 to 2^32 - 1');
  if (!isObject(ds.split)) throw new QmoeInputError(`${where}.dataset.split`, ds.split, 'must be an object {train, validation, test}');
  for (const k of ['train', 'validation', 'test']) finiteNumber(`${where}.dataset.split.${k}`, ds.split[k], 0);
  if (!isObject(json.training)) throw new QmoeInputError(`${where}.training`, json.training, 'must be an object');
  if (json.metrics !== undefined && !isObject(json.metrics)) throw new QmoeInputError(`${where}.metrics`, json.metrics, 'must be an object');
  return { ...(json as unknown as SavedModel), spec, metrics: (json.metrics as Record<string, unknown>) ?? {} };
}
