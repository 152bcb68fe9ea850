import type { ModelSpec } from '../moe/spec.js';

/**
 * The backend-agnostic training engine the trainer drives. The CPU engine (cpu-engine.ts) runs
 * in float64 with CpuBackend; the WebGPU engine (gpu-engine.ts) keeps data, parameters and Adam
 * state on the GPU. Only scalars (EngineStats) cross per epoch; parameters on request.
 */
export interface TrainingData {
  /** Row-major features, rows x features, already scaled. */
  x: Float64Array;
  /** Class labels 0..classes-1. */
  y: Int32Array;
  rows: number;
  features: number;
  classes: number;
}

export interface EngineStats {
  loss: number;
  accuracy: number;
}

export type Split = 'train' | 'validation' | 'test';

export interface TrainingEngine {
  readonly kind: 'cpu' | 'webgpu';
  /** Which engine of its kind, for people (e.g. "fast CPU engine, float32, 2 threads"); the float64 CPU engine has none. */
  readonly label?: string;
  readonly spec: ModelSpec;
  /** Once per split, rows already scaled. */
  load(split: Split, data: TrainingData): Promise<void>;
  /** Also resets Adam (moments, step count). */
  setParams(params: Float64Array): Promise<void>;
  getParams(): Promise<Float64Array>;
  /** Keeps a copy of the current parameters as the best so far, where they live (on the GPU for the WebGPU engine). */
  keepBest(): Promise<void>;
  /** Makes the kept copy the current parameters (and resets Adam), as setParams would. */
  restoreBest(): Promise<void>;
  /** One Adam step on the mean loss over these train rows; may return before the work is done. */
  step(rows: Int32Array): void;
  /** Resolves when the queued steps are done (rejects with a step's error): for progress reports within an epoch. */
  settle?(): Promise<void>;
  /**
   * Mean loss / accuracy over the rows stepped since the previous call (each row's loss and
   * prediction taken before its step's update), then resets.
   */
  epochStats(): Promise<EngineStats>;
  /** Mean loss and accuracy over a whole split, current params. */
  evaluate(split: Split): Promise<EngineStats>;
  /** Class probabilities softmax(y): rows x classes. */
  predict(x: Float64Array, rows: number): Promise<Float64Array>;
  dispose(): void;
}
