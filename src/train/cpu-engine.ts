import { QmoeInputError, checkFiniteResult, checkInt } from '../errors.js';
import { CpuModel } from '../moe/forward-cpu.js';
import { paramLayout } from '../moe/models.js';
import type { ModelSpec } from '../moe/spec.js';
import type { Backend } from '../sim/backend.js';
import { CpuBackend } from '../sim/backend-cpu.js';
import { Adam, type AdamOptions } from './adam.js';
import type { EngineStats, Split, TrainingData, TrainingEngine } from './engine.js';

export interface CpuEngineOptions extends AdamOptions {
  /** Rows per forward call in evaluate() and predict() (memory bound only). Default 4096. */
  chunk?: number;
  /**
   * Runs the quantum router's circuit on this backend instead of the exact CpuBackend, e.g. a
   * NoisyBackend (src/noise/backend.ts) for noise-aware training. The engine disposes it only
   * with `ownCircuitBackend`.
   */
  circuitBackend?: Backend;
  /** Runs the quantum experts' circuit here instead (default: circuitBackend). */
  expertCircuitBackend?: Backend;
  /** dispose() also disposes `circuitBackend` and `expertCircuitBackend` (they hold GPU runners the engine made them for). */
  ownCircuitBackend?: boolean;
  /** Seed of the routing draws of --route-shots (default 0). */
  routeSeed?: number;
  /** Where the engine says it runs: 'webgpu' with a WebGPU circuitBackend (default 'cpu'), and its label. */
  kind?: 'cpu' | 'webgpu';
  label?: string;
}

const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

/** Checks a TrainingData block against a spec; used by every engine's load(). */
export function checkTrainingData(spec: ModelSpec, split: Split, data: TrainingData): void {
  if (!SPLITS.includes(split)) throw new QmoeInputError('split', split, `must be one of ${SPLITS.join(', ')}`);
  if (typeof data !== 'object' || data === null) throw new QmoeInputError(`${split} data`, data, 'must be an object');
  checkInt(`${split}.rows`, data.rows, 1, 1 << 26);
  if (data.features !== spec.features) throw new QmoeInputError(`${split}.features`, data.features, `must equal the model's features (${spec.features})`);
  if (data.classes !== spec.classes) throw new QmoeInputError(`${split}.classes`, data.classes, `must equal the model's classes (${spec.classes})`);
  if (!(data.x instanceof Float64Array) || data.x.length !== data.rows * data.features) {
    throw new QmoeInputError(`${split}.x.length`, data.x?.length, `must be a Float64Array of rows x features = ${data.rows * data.features}`);
  }
  for (let i = 0; i < data.x.length; i++) {
    if (!Number.isFinite(data.x[i])) throw new QmoeInputError(`${split}.x[${i}]`, data.x[i], 'must be finite');
  }
  if (!(data.y instanceof Int32Array) || data.y.length !== data.rows) throw new QmoeInputError(`${split}.y.length`, data.y?.length, `must be an Int32Array of ${data.rows} labels`);
  for (let i = 0; i < data.y.length; i++) {
    if (data.y[i] < 0 || data.y[i] >= spec.classes) throw new QmoeInputError(`${split}.y[${i}]`, data.y[i], `must be a class from 0 to ${spec.classes - 1}`);
  }
}

/**
 * The float64 reference engine. step() queues its work on a promise chain (CpuBackend is
 * async), so the API matches the GPU engine's "fire and forget" steps; every awaiting method
 * first waits for the queued steps. An error in a step surfaces at the next await.
 */
class CpuEngine implements TrainingEngine {
  readonly kind: 'cpu' | 'webgpu';
  readonly label?: string;
  readonly spec: ModelSpec;
  private readonly model: CpuModel;
  private readonly adam: Adam;
  private readonly chunk: number;
  private params: Float64Array;
  private data = new Map<Split, TrainingData>();
  private queue: Promise<void> = Promise.resolve();
  private lossSum = 0;
  private correct = 0;
  private seen = 0;
  private disposed = false;

  constructor(spec: ModelSpec, options: CpuEngineOptions) {
    this.spec = spec;
    this.kind = options.kind ?? 'cpu';
    this.label = options.label;
    this.model = new CpuModel(spec, options.circuitBackend ?? new CpuBackend(), options.ownCircuitBackend === true, { routeSeed: options.routeSeed, expertBackend: options.expertCircuitBackend });
    const total = paramLayout(spec).total;
    this.adam = new Adam(total, options);
    this.chunk = checkInt('chunk', options.chunk ?? 4096, 1, 1 << 24);
    this.params = new Float64Array(total);
  }

  private alive(): void {
    if (this.disposed) throw new Error('the training engine was disposed');
  }

  async load(split: Split, data: TrainingData): Promise<void> {
    this.alive();
    checkTrainingData(this.spec, split, data);
    this.data.set(split, { ...data, x: Float64Array.from(data.x), y: Int32Array.from(data.y) });
  }

  async setParams(params: Float64Array): Promise<void> {
    this.alive();
    await this.queue;
    if (!params || params.length !== this.params.length) throw new QmoeInputError('params.length', params?.length, `must equal ${this.params.length}`);
    for (let i = 0; i < params.length; i++) if (!Number.isFinite(params[i])) throw new QmoeInputError(`params[${i}]`, params[i], 'must be finite');
    this.params = Float64Array.from(params);
    this.adam.reset();
  }

  async getParams(): Promise<Float64Array> {
    this.alive();
    await this.queue;
    return Float64Array.from(this.params);
  }

  private best: Float64Array | null = null;

  async keepBest(): Promise<void> {
    this.best = await this.getParams();
  }

  async restoreBest(): Promise<void> {
    if (!this.best) throw new Error('restoreBest: keepBest was never called');
    await this.setParams(this.best);
  }

  step(rows: Int32Array): void {
    this.alive();
    const train = this.data.get('train');
    if (!train) throw new QmoeInputError('step', 'train', "load('train', ...) first");
    if (!rows || rows.length < 1) throw new QmoeInputError('rows.length', rows?.length, 'a step needs at least one row');
    const F = train.features;
    const x = new Float64Array(rows.length * F);
    const y = new Int32Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      if (!Number.isInteger(r) || r < 0 || r >= train.rows) throw new QmoeInputError(`rows[${k}]`, r, `must be a train row from 0 to ${train.rows - 1}`);
      for (let j = 0; j < F; j++) x[k * F + j] = train.x[r * F + j];
      y[k] = train.y[r];
    }
    this.queue = this.queue.then(async () => {
      const g = await this.model.lossAndGradient(this.params, x, y, rows.length);
      this.lossSum += g.loss * rows.length;
      this.correct += g.correct;
      this.seen += rows.length;
      this.adam.step(this.params, g.grad);
    });
    // Marks the rejection as handled (no unhandledRejection crash); awaiting the queue still throws.
    this.queue.catch(() => {});
  }

  async settle(): Promise<void> {
    await this.queue;
  }

  async epochStats(): Promise<EngineStats> {
    this.alive();
    await this.queue;
    if (this.seen > 0) checkFiniteResult('the training loss', [this.lossSum]);
    const stats = this.seen > 0 ? { loss: this.lossSum / this.seen, accuracy: this.correct / this.seen } : { loss: NaN, accuracy: NaN };
    this.lossSum = 0;
    this.correct = 0;
    this.seen = 0;
    return stats;
  }

  async evaluate(split: Split): Promise<EngineStats> {
    this.alive();
    await this.queue;
    const data = this.data.get(split);
    if (!data) throw new QmoeInputError('split', split, `load('${split}', ...) first`);
    let lossSum = 0;
    let correct = 0;
    const F = data.features;
    for (let at = 0; at < data.rows; at += this.chunk) {
      const n = Math.min(this.chunk, data.rows - at);
      const r = await this.model.loss(this.params, data.x.subarray(at * F, (at + n) * F), data.y.subarray(at, at + n), n);
      lossSum += r.loss * n;
      correct += r.correct;
    }
    checkFiniteResult(`the ${split} loss`, [lossSum]);
    return { loss: lossSum / data.rows, accuracy: correct / data.rows };
  }

  async predict(x: Float64Array, rows: number): Promise<Float64Array> {
    this.alive();
    await this.queue;
    checkInt('rows', rows, 1, 1 << 26);
    const F = this.spec.features;
    const C = this.spec.classes;
    if (!x || x.length !== rows * F) throw new QmoeInputError('x.length', x?.length, `must equal rows (${rows}) x features (${F})`);
    const out = new Float64Array(rows * C);
    for (let at = 0; at < rows; at += this.chunk) {
      const n = Math.min(this.chunk, rows - at);
      const r = await this.model.forward(this.params, x.subarray(at * F, (at + n) * F), n);
      out.set(r.probs, at * C);
    }
    checkFiniteResult('the predicted class probabilities', out, C);
    return out;
  }

  dispose(): void {
    this.disposed = true;
    this.model.dispose();
    this.data.clear();
  }
}

/** The float64 CPU engine; parameters start at zero until setParams(). */
export function createCpuEngine(spec: ModelSpec, options: CpuEngineOptions = {}): TrainingEngine {
  return new CpuEngine(spec, options);
}
