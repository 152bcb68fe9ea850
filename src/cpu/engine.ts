import type { ModelSpec } from '../moe/spec.js';
import { createCpuEngine } from '../train/cpu-engine.js';
import type { AdamOptions } from '../train/adam.js';
import type { TrainingEngine } from '../train/engine.js';
import { FastCpuBackend } from './backend.js';
import type { Precision } from './layout.js';
import type { WorkerPool } from './pool.js';

export interface FastCpuEngineOptions extends AdamOptions {
  /** 'f32' (default) or 'f64' circuit arithmetic; the classical parts are float64. */
  precision?: Precision;
  /** Worker threads for the circuit's chunks (threads.ts createPool); disposed with the engine when `ownPool`. */
  pool?: WorkerPool | null;
  ownPool?: boolean;
  /** Rows per forward call in evaluate() and predict(). Default 4096. */
  chunk?: number;
  /** Passed to the backend (FastCpuOptions): samples per chunk and the work under which a call stays on one thread. */
  chunkRows?: number;
  parallelWork?: number;
  /** Seed of the routing draws of --route-shots (default 0). */
  routeSeed?: number;
}

/**
 * The fast CPU training engine: the CPU engine's loop (src/train/cpu-engine.ts: Adam, the model's
 * classical parts in float64) with the quantum router's circuit on the fast CPU backend, whose
 * forward and adjoint passes run over chunks of the batch on every thread of the pool. Classical
 * routers have no circuit and train exactly as on the float64 engine.
 */
export function createFastCpuEngine(spec: ModelSpec, options: FastCpuEngineOptions = {}): TrainingEngine {
  const backend = new FastCpuBackend({ precision: options.precision, pool: options.pool, ownPool: options.ownPool, chunkRows: options.chunkRows, parallelWork: options.parallelWork });
  const engine = createCpuEngine(spec, { ...options, circuitBackend: backend });
  const threads = backend.threads;
  Object.defineProperty(engine, 'label', { value: `fast CPU engine, ${backend.precision === 'f32' ? 'float32' : 'float64'}, ${threads} thread${threads > 1 ? 's' : ''}` });
  const dispose = engine.dispose.bind(engine);
  engine.dispose = () => {
    try {
      dispose();
    } finally {
      backend.dispose();
    }
  };
  return engine;
}
