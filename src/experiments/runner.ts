import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countParams, initParams, type InitKind } from '../moe/models.js';
import type { ModelSpec, Preset } from '../moe/spec.js';
import { QmoeFileError, QmoeInputError, fileErrorReason } from '../errors.js';
import { writeFileAtomic } from '../train/atomic.js';
import type { DatasetSettings, PreparedData } from '../train/dataset.js';
import type { TrainingEngine } from '../train/engine.js';
import { createEngine, type EngineChoice } from '../train/select-engine.js';
import { shuffleSeed, train, type EpochProgress, type EpochRecord } from '../train/trainer.js';
import { scoreSplit } from '../train/score.js';
import type { ExecutionChoice } from '../jobs/execution-choice.js';
import type { ProgressSink } from './progress.js';

/** Training settings shared by every run of an experiment (the "same budget"). */
export interface Budget {
  lr: number;
  epochs: number;
  batch: number;
  patience: number;
  init: InitKind;
}

/** What one trained model gives: scores, counts, history; the parameters for figures. */
export interface RunRecord {
  format: 'qmoe-run';
  version: 1;
  /** Identifies the run inside its experiment, e.g. "quantum-seed0". */
  id: string;
  seed: number;
  /** Everything that determines the result except the seed (compared on resume). */
  config: RunConfig;
  backend: 'cpu' | 'webgpu';
  device: string;
  test: { accuracy: number; f1: number; loss: number; rows: number };
  validation: { accuracy: number; loss: number };
  train: { accuracy: number; f1: number; loss: number };
  params: { router: number; experts: number; total: number };
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  /** First epoch whose validation accuracy reached 90%, or null. */
  epochTo90: number | null;
  seconds: number;
  history: EpochRecord[];
  /** The kept (best-epoch) parameters, so figures can be drawn again without training. */
  finalParams: number[];
}

export interface RunConfig {
  dataset: PreparedData['settings'];
  spec: ModelSpec;
  budget: Budget;
}

/** A short description of where training ran. */
export function deviceName(kind: 'cpu' | 'webgpu', label?: string): string {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  if (label) return `${label}, ${cpu}`;
  return kind === 'cpu' ? `cpu engine (float64), ${cpu}` : `webgpu engine, host ${cpu}`;
}

/** First epoch with validation accuracy >= threshold, or null. */
export function epochToReach(history: EpochRecord[], threshold = 0.9): number | null {
  for (const r of history) if (r.valAccuracy >= threshold) return r.epoch;
  return null;
}

/** Progress of one training run: after every epoch, and within slow epochs (see TrainOptions). */
export interface TrainHooks {
  onEpoch?: (r: EpochRecord) => void;
  onProgress?: (p: EpochProgress) => void;
  /** Seconds between onProgress calls (TrainOptions.progressSeconds). */
  progressSeconds?: number;
}

/** Loss, accuracy and F1 of the engine's current parameters on every split of `data`. */
export async function scoreAllSplits(engine: TrainingEngine, data: PreparedData): Promise<Pick<RunRecord, 'test' | 'validation' | 'train'>> {
  for (const split of ['test', 'train', 'validation'] as const) await engine.load(split, data.splits[split]);
  const testStats = await engine.evaluate('test');
  const valStats = await engine.evaluate('validation');
  const trainStats = await engine.evaluate('train');
  const test = await scoreSplit(engine, data, 'test');
  const tr = await scoreSplit(engine, data, 'train');
  return {
    test: { accuracy: test.accuracy, f1: test.f1, loss: testStats.loss, rows: test.rows },
    validation: { accuracy: valStats.accuracy, loss: valStats.loss },
    train: { accuracy: tr.accuracy, f1: tr.f1, loss: trainStats.loss },
  };
}

/**
 * Trains one model on `engine` (initial parameters from `seed`, shuffles from a generator derived
 * from it, as qmoe train does; the budget's epochs / batch / patience), then scores the kept
 * parameters on every split. The caller owns the engine.
 */
export async function trainOnEngine(
  engine: TrainingEngine,
  id: string,
  spec: ModelSpec,
  data: PreparedData,
  budget: Budget,
  seed: number,
  config: RunConfig,
  hooks: TrainHooks = {},
): Promise<RunRecord> {
  await engine.setParams(initParams(spec, { seed, init: budget.init }));
  const t0 = performance.now();
  const result = await train(engine, { train: data.splits.train, validation: data.splits.validation }, {
    epochs: budget.epochs,
    batch: budget.batch,
    patience: budget.patience,
    seed: shuffleSeed(seed),
    onEpoch: hooks.onEpoch,
    onProgress: hooks.onProgress,
    progressSeconds: hooks.progressSeconds,
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    format: 'qmoe-run',
    version: 1,
    id,
    seed,
    config,
    backend: engine.kind,
    device: deviceName(engine.kind, engine.label),
    ...(await scoreAllSplits(engine, data)),
    params: countParams(spec),
    epochsRun: result.epochsRun,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    epochTo90: epochToReach(result.history),
    seconds,
    history: result.history,
    finalParams: Array.from(result.params),
  };
}

/** trainOnEngine on the engine `backend` selects (see createEngine). */
export async function trainRun(
  id: string,
  spec: ModelSpec,
  data: PreparedData,
  budget: Budget,
  seed: number,
  backend: EngineChoice,
  hooks: TrainHooks = {},
): Promise<RunRecord> {
  const { engine } = await createEngine(spec, backend, { lr: budget.lr, routeSeed: seed });
  try {
    return await trainOnEngine(engine, id, spec, data, budget, seed, { dataset: data.settings, spec, budget }, hooks);
  } finally {
    engine.dispose();
  }
}

/** Canonical JSON (sorted keys) for comparing configurations. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, value) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.fromEntries(Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]));
    }
    return value;
  });
}

/**
 * The stored run `dir/<id>.json` if it exists, is a readable run record and has this
 * configuration; 'mismatch' (with the stored config) when it was made with another one;
 * undefined when missing or not JSON (it is then trained again and overwritten). A qmoe run
 * record that lacks a field the tables need is a QmoeInputError naming the file and the field.
 */
export function loadRun(dir: string, id: string, config: RunConfig): RunRecord | { mismatch: RunConfig } | undefined {
  const path = join(dir, `${id}.json`);
  let json: RunRecord;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
  if (json?.format !== 'qmoe-run' || json.version !== 1 || !json.config) return undefined;
  if (canonical(json.config) !== canonical(config)) return { mismatch: json.config };
  checkRunRecord(path, json);
  return json;
}

const RUN_FIELDS: [string, 'number' | 'array' | 'object'][] = [
  ['test.accuracy', 'number'],
  ['test.f1', 'number'],
  ['test.loss', 'number'],
  ['test.rows', 'number'],
  ['validation.accuracy', 'number'],
  ['validation.loss', 'number'],
  ['train.accuracy', 'number'],
  ['train.f1', 'number'],
  ['train.loss', 'number'],
  ['params', 'object'],
  ['epochsRun', 'number'],
  ['bestEpoch', 'number'],
  ['seconds', 'number'],
  ['history', 'array'],
  ['finalParams', 'array'],
];

/** Throws a QmoeInputError naming the file (or source) and the first missing or mistyped field of a run record. */
export function checkRunRecord(path: string, run: RunRecord, hint = 'delete the file to train that run again'): void {
  for (const [field, kind] of RUN_FIELDS) {
    const value = field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), run);
    const ok = kind === 'array' ? Array.isArray(value) : kind === 'number' ? typeof value === 'number' : typeof value === 'object' && value !== null;
    if (!ok) throw new QmoeInputError(`${path}: ${field}`, value, `a run record needs ${kind === 'number' ? 'a number' : `an ${kind}`} there; ${hint}`);
  }
}

/** Writes a run record atomically; a failure names the file. */
export function saveRun(dir: string, run: RunRecord): void {
  const path = join(dir, `${run.id}.json`);
  try {
    writeFileAtomic(path, JSON.stringify(run, null, 1) + '\n');
  } catch (e) {
    throw new QmoeFileError('--out', path, `cannot write the run record (${fileErrorReason(e)})`);
  }
}

/** What every study (ablation, sweep, noise sweep) is given. */
export interface StudyOptions {
  dataset: DatasetSettings;
  preset: Preset;
  budget: Budget;
  /** The result directory: DIR/runs/<id>.json per run, the tables and figures in DIR. */
  out: string;
  /** The command line, recorded in the outputs and the lock (without passwords). */
  command?: string;
  progress?: ProgressSink;
  /** Where the runs are trained: this process (the default), local worker processes or a queue. */
  execution?: ExecutionChoice;
  /** Test hook: called when a run is handed to be trained (not for runs reused from DIR/runs). */
  onTrain?: (id: string) => void;
}

/** Mean and sample standard deviation (n - 1; null for one value). */
export function meanStd(values: number[]): { mean: number; std: number | null; n: number; values: number[] } {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : null;
  return { mean, std, n, values };
}

/** Per-epoch mean of a history field over runs (runs that stopped early drop out of later epochs). */
export function meanCurve(histories: EpochRecord[][], field: keyof EpochRecord): { x: number[]; y: number[] } {
  const longest = Math.max(0, ...histories.map((h) => h.length));
  const x: number[] = [];
  const y: number[] = [];
  for (let e = 0; e < longest; e++) {
    const vals = histories.filter((h) => h.length > e).map((h) => h[e][field]);
    x.push(e + 1);
    y.push(vals.reduce((a, b) => a + b, 0) / vals.length);
  }
  return { x, y };
}
