import type { MinMaxScaler } from '../../src/data/scale.js';
import type { InitKind } from '../../src/moe/models.js';
import type { ExpertsKind, ModelSpec, Preset, RouterKind } from '../../src/moe/spec.js';
import type { SavedModel } from '../../src/train/model-file.js';
import type { EpochRecord } from '../../src/train/trainer.js';
import type { PlotGrid } from './draw.js';

/**
 * The messages between the playground page (demos/main.ts, which only renders) and its worker
 * (demos/worker.ts, which prepares data, trains, evaluates and computes the maps with the same
 * src/ code as `qmoe train`).
 */

export type EngineChoice = 'auto' | 'webgpu' | 'cpu';

/** Everything a run needs, as the form (and the URL) give it; checked against src/moe/limits.ts. */
export interface Setup {
  source: 'moons' | 'csv';
  samples: number;
  dataNoise: number;
  dataSeed: number;
  router: RouterKind;
  preset: Preset;
  qubits: number;
  layers: number;
  experts: number;
  hidden: number[];
  /** Expert form (src/moe/quantum-experts.ts). */
  expertsKind: ExpertsKind;
  /** Sparse routing: top-k (0: dense) or measurement shots (0: none); load-balancing weight (0: none). */
  topK: number;
  routeShots: number;
  balance: number;
  noiseRate: number;
  lr: number;
  epochs: number;
  batch: number;
  patience: number;
  seed: number;
  init: InitKind;
  engine: EngineChoice;
}

/** The data as the page draws it: a subset of the points (at most MAX_DRAWN) and the axes' scaling. */
export interface DataView {
  title: string;
  classNames: string[];
  rows: number;
  /** Scaled coordinates (the circuit's angles) of the drawn points, x1, x2 interleaved. */
  points: Float32Array;
  labels: Int32Array;
  /** 1 where the drawn point is a test row. */
  test: Uint8Array;
  /** The plotted window in scaled coordinates (nx, ny: the map resolution). */
  grid: PlotGrid;
  /** To label the axes in the data's own units: raw = min + (scaled - range[0]) / (range[1] - range[0]) * (max - min). */
  scaler: MinMaxScaler;
  range: [number, number];
}

export interface Maps {
  grid: PlotGrid;
  classes: number;
  experts: number;
  /** Class probabilities per cell (nx * ny * classes), and the router's P(expert | x) (nx * ny * experts). */
  probs: Float32Array;
  route: Float32Array;
  /** Epoch the parameters are from (0: initial or loaded). */
  epoch: number;
}

/** What a finished (or loaded) model scored, for the metrics table. */
export interface Scores {
  accuracy: number;
  f1: number;
  testLoss: number;
  testRows: number;
  validation: { loss: number; accuracy: number };
  train: { loss: number; accuracy: number };
  /** The train figures are those seen during the kept epoch (a stopped run is not re-scored on the train split). */
  trainDuringEpoch?: boolean;
}

export interface EngineInfo {
  kind: 'cpu' | 'webgpu';
  /** What the page shows: "fast CPU engine, float32, 2 threads", "WebGPU engine (SwiftShader)", "CPU engine, noisy circuit on the GPU". */
  label: string;
  note?: string;
}

export type ToWorker =
  | { type: 'hello' }
  | { type: 'data'; setup: Setup; token: number }
  | { type: 'csv'; text: string; name: string; token: number }
  | { type: 'train'; setup: Setup; confirmed: boolean }
  | { type: 'control'; action: 'stop' | 'pause' | 'resume' | 'step' }
  | { type: 'load'; text: string; name: string; engine: EngineChoice }
  | { type: 'probe'; x: number; y: number; token: number };

export interface GpuReport {
  available: boolean;
  label: string;
  software: boolean;
  why: string;
}

export type FromWorker =
  | { type: 'gpu'; gpu: GpuReport }
  | { type: 'data'; token: number; view: DataView }
  | { type: 'data-error'; token: number; message: string }
  | { type: 'csv'; token: number; ok: true; rows: number; classNames: string[]; counts: number[]; header: string[] | null }
  | { type: 'csv'; token: number; ok: false; message: string }
  | { type: 'phase'; text: string }
  | { type: 'estimate'; msPerEpoch: number; epochs: number; engine: EngineInfo; needsConfirm: boolean; msPerWork: number }
  | { type: 'started'; spec: ModelSpec; engine: EngineInfo; view: DataView; setup: Setup }
  | { type: 'progress'; epoch: number; epochs: number; batch: number; batches: number; epochMs: number; msPerBatch: number; elapsedMs: number }
  | { type: 'epoch'; record: EpochRecord; bestEpoch: number; elapsedMs: number; msPerEpoch: number; msPerWork: number }
  | { type: 'maps'; maps: Maps }
  | { type: 'paused'; epoch: number; midEpoch: boolean }
  | { type: 'resumed' }
  | { type: 'stopping' }
  | { type: 'halted'; epochsRun: number; bestEpoch: number }
  | { type: 'cancelled'; text: string }
  | { type: 'done'; how: 'finished' | 'early' | 'stopped'; epochsRun: number; bestEpoch: number; seconds: number; scores: Scores; params: Float64Array; model: SavedModel | null; downloadNote: string }
  | { type: 'loaded'; name: string; setup: Setup; notes: string[]; view: DataView; spec: ModelSpec; engine: EngineInfo; scores: Scores; params: Float64Array; model: SavedModel }
  | { type: 'refused'; name: string; message: string }
  | { type: 'error'; message: string }
  | { type: 'probe'; token: number; x: number; y: number; probs: number[]; route: number[] };
