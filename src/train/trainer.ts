import { QmoeInputError, checkInt } from '../errors.js';
import { Rng, checkSeed } from '../data/rng.js';
import type { TrainingData, TrainingEngine } from './engine.js';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  /** Wall time of the epoch: its steps, then the validation pass. */
  seconds: number;
  /** Training rows stepped per second (the steps' wall time only, until their stats came back). */
  rowsPerSecond: number;
}

/**
 * Training diverged: the validation loss is no longer a finite number, a learning rate too large
 * for the data. A QmoeInputError (exit 2 on the CLI) naming --lr.
 */
export class TrainingDivergedError extends QmoeInputError {
  constructor(epoch: number, loss: number) {
    super('--lr', undefined, 'training diverged');
    this.name = 'TrainingDivergedError';
    this.message = `training diverged: validation loss ${loss} at epoch ${epoch}; use a smaller --lr`;
  }
}

/** Where an epoch is: batch `batch` (1-based) of `batches` of epoch `epoch`, `rows` rows stepped so far. */
export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  rows: number;
}

/** A timed report within an epoch: batches done of `batches`, `seconds` of work since the epoch began. */
export interface EpochProgress {
  epoch: number;
  batch: number;
  batches: number;
  seconds: number;
}

export interface TrainOptions {
  /** Most epochs, default 100. */
  epochs?: number;
  /** Mini-batch size, default 32 (the last batch of an epoch may be smaller). */
  batch?: number;
  /** Seed of the shuffles (epoch e uses the e-th permutation of one generator). Default 0. */
  seed?: number;
  /** Epochs without an improvement of the validation loss before stopping, default 10; 0 never stops early. */
  patience?: number;
  /** An improvement must lower the best validation loss by more than this, default 0. */
  minDelta?: number;
  /** Called after every epoch (a progress bar, a page redrawing its pictures); a returned promise is awaited. */
  onEpoch?: (record: EpochRecord, state: { bestEpoch: number; bestValLoss: number }) => unknown;
  /**
   * Called after every batch is queued (the browser app waits there for the engine, lets
   * messages in and pauses); a returned promise is awaited.
   */
  onBatch?: (at: BatchProgress) => unknown;
  /**
   * Progress within an epoch, for slow runs: called about every `progressSeconds` of work while
   * an epoch lasts longer than that (never for fast epochs). The engine finishes its queued steps
   * (settle) before each call, so `seconds` is the work done, not the time to queue it.
   */
  onProgress?: (progress: EpochProgress) => unknown;
  /** Seconds between onProgress calls, default 2. */
  progressSeconds?: number;
  /** The clock that paces onProgress, in milliseconds (default performance.now; tests pass their own). */
  now?: () => number;
  /**
   * Checked before every epoch and after every batch: true stops training there. The best
   * epoch's parameters are restored as at any end (an unfinished epoch's steps are dropped).
   */
  stopRequested?: () => boolean;
}

export interface TrainResult {
  /** The parameters of the best epoch (lowest validation loss), also left in the engine. */
  params: Float64Array;
  history: EpochRecord[];
  /** Epoch (1-based) whose parameters were kept. */
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  /** stopRequested() returned true. */
  stoppedByRequest: boolean;
}

/** Checks the trainer's options and fills the defaults. */
export function trainSettings(options: TrainOptions = {}): Required<Omit<TrainOptions, 'onEpoch' | 'onBatch' | 'onProgress' | 'stopRequested' | 'now'>> {
  const epochs = checkInt('--epochs', options.epochs ?? 100, 1, 1_000_000);
  const batch = checkInt('--batch', options.batch ?? 32, 1, 1 << 24);
  const seed = checkSeed('--seed', options.seed ?? 0);
  const patience = checkInt('--patience', options.patience ?? 10, 0, 1_000_000);
  const minDelta = options.minDelta ?? 0;
  if (typeof minDelta !== 'number' || !Number.isFinite(minDelta) || minDelta < 0) throw new QmoeInputError('minDelta', minDelta, 'must be a finite number >= 0');
  const progressSeconds = options.progressSeconds ?? 2;
  if (typeof progressSeconds !== 'number' || !(progressSeconds >= 0 && progressSeconds <= 86400)) throw new QmoeInputError('progressSeconds', progressSeconds, 'must be a number of seconds from 0 to 86400');
  return { epochs, batch, seed, patience, minDelta, progressSeconds };
}

/**
 * Trains with mini-batch Adam and early stopping on the validation loss.
 *
 * The engine must have its initial parameters (setParams); `data` is loaded into it. Each epoch: a seeded shuffle of the training rows, steps over batches of `batch` rows
 * (the last one smaller), then engine.epochStats() (train loss and accuracy as seen during the
 * epoch) and engine.evaluate('validation'). An epoch improves when its validation loss is below
 * best - minDelta; after `patience` epochs in a row without one, training stops. At the end the
 * best epoch's parameters are restored into the engine (setParams) and returned.
 *
 * Per epoch only scalars come back from the engine: the best parameters so far are kept by the
 * engine itself (keepBest, on the GPU for the WebGPU engine) and read back once at the end.
 */
export async function train(engine: TrainingEngine, data: { train: TrainingData; validation: TrainingData }, options: TrainOptions = {}): Promise<TrainResult> {
  const { epochs, batch, seed, patience, minDelta, progressSeconds } = trainSettings(options);
  if (typeof data !== 'object' || data === null || !data.train || !data.validation) {
    throw new QmoeInputError('data', data, 'must be { train, validation } training data');
  }
  await engine.load('train', data.train);
  await engine.load('validation', data.validation);
  const trainRows = data.train.rows;
  const rng = new Rng(seed);
  const order = new Int32Array(trainRows);
  const history: EpochRecord[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  await engine.keepBest();
  const pace = { perBatch: undefined as number | undefined };
  let since = 0;
  let stoppedEarly = false;
  let stoppedByRequest = false;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    if (options.stopRequested?.()) {
      stoppedByRequest = true;
      break;
    }
    for (let i = 0; i < trainRows; i++) order[i] = i;
    rng.shuffle(order);
    const t0 = performance.now();
    stoppedByRequest = await runEpoch(engine, order, batch, epoch, options, progressSeconds, pace);
    if (stoppedByRequest) break;
    const t = await engine.epochStats();
    const stepSeconds = (performance.now() - t0) / 1000;
    const v = await engine.evaluate('validation');
    const seconds = (performance.now() - t0) / 1000;
    const record: EpochRecord = { epoch, trainLoss: t.loss, trainAccuracy: t.accuracy, valLoss: v.loss, valAccuracy: v.accuracy, seconds, rowsPerSecond: trainRows / Math.max(stepSeconds, 1e-9) };
    history.push(record);
    if (!Number.isFinite(v.loss)) throw new TrainingDivergedError(epoch, v.loss);
    if (v.loss < best - minDelta) {
      best = v.loss;
      bestEpoch = epoch;
      await engine.keepBest();
      since = 0;
    } else {
      since++;
    }
    await options.onEpoch?.(record, { bestEpoch, bestValLoss: best });
    if (patience > 0 && since >= patience && epoch < epochs) {
      stoppedEarly = true;
      break;
    }
  }
  await engine.restoreBest();
  const bestParams = await engine.getParams();
  return { params: bestParams, history, bestEpoch, epochsRun: history.length, stoppedEarly, stoppedByRequest };
}

/**
 * One epoch's steps over `order` in batches; returns true when stopRequested() ended it early.
 * onBatch is called after every queued step. Without onProgress the steps are queued and the
 * engine runs them at its pace. With it, the engine settles every `every` batches so that a
 * report comes about every `interval` seconds: `every` follows from the time per batch measured
 * so far (the first batch of the run is settled to measure it), and an epoch expected to take
 * less than `interval` is not interrupted at all.
 */
async function runEpoch(
  engine: TrainingEngine,
  order: Int32Array,
  batch: number,
  epoch: number,
  options: TrainOptions,
  interval: number,
  pace: { perBatch: number | undefined },
): Promise<boolean> {
  const { onBatch, onProgress, stopRequested } = options;
  const now = options.now ?? (() => performance.now());
  const rows = order.length;
  const batches = Math.ceil(rows / batch);
  const t0 = now();
  const everyFor = (perBatch: number) => (perBatch * batches < interval ? Infinity : Math.max(1, Math.floor(interval / Math.max(perBatch, 1e-9))));
  let every = !onProgress || !engine.settle ? Infinity : pace.perBatch === undefined ? 1 : everyFor(pace.perBatch);
  for (let b = 0; b < batches; b++) {
    const end = Math.min((b + 1) * batch, rows);
    engine.step(order.slice(b * batch, end));
    await onBatch?.({ epoch, batch: b + 1, batches, rows: end });
    if (stopRequested?.() === true) return true;
    if ((b + 1) % every !== 0 || b + 1 === batches) continue;
    await engine.settle!();
    const seconds = (now() - t0) / 1000;
    if (pace.perBatch === undefined) {
      pace.perBatch = seconds / (b + 1);
      every = everyFor(pace.perBatch);
      if (every === Infinity) continue;
    }
    await onProgress!({ epoch, batch: b + 1, batches, seconds });
  }
  if (onProgress && engine.settle) {
    await engine.settle();
    pace.perBatch = (now() - t0) / 1000 / batches;
  }
  return false;
}

/**
 * Training defaults of each preset (command-line defaults of `qmoe train`):
 *  - paper: the text's protocol: Adam lr 0.01, batch 32, 100 epochs, early stopping (patience 10).
 *  - code: the first notebook: Adam lr 0.1, batch 32, 50 epochs, no early stopping (patience 0;
 *    the notebooks have no validation split). The best validation epoch is still restored.
 */
export function presetTraining(preset: 'paper' | 'code'): { lr: number; epochs: number; batch: number; patience: number } {
  return preset === 'paper' ? { lr: 0.01, epochs: 100, batch: 32, patience: 10 } : { lr: 0.1, epochs: 50, batch: 32, patience: 0 };
}

/**
 * The shuffles' seed of a run whose initial parameters use `seed`: a different stream, so the
 * parameter draws and the batch order are not the same numbers (what `qmoe train` does).
 */
export function shuffleSeed(seed: number): number {
  return (seed ^ 0x5bd1e995) >>> 0;
}
