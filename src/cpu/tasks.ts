import type { CircuitOutput } from '../sim/backend.js';
import type { BoundProgram } from './bind.js';
import { adjointChunk, chunkOutputWidth, forwardStates, gradientLayout, writeOutputs, type ChunkOutput, Workspace } from './chunk.js';
import type { Precision, Real } from './layout.js';

/**
 * The unit of work of the fast CPU engine and what a worker thread receives: a bound program and
 * a list of chunks (each with its own rows of features and, for the adjoint, of the upstream
 * gradient). Plain data with typed arrays, so it crosses postMessage as it is. Results come back
 * per chunk, so that the caller reduces them in chunk order whatever thread ran them.
 */
export interface ChunkSlice {
  rows: number;
  /** rows x program.features. */
  features: Float64Array;
  /** Adjoint only: rows x outputs. */
  up?: Float64Array;
}

export interface ChunkJob {
  op: 'forward' | 'adjoint';
  program: BoundProgram;
  precision: Precision;
  output: ChunkOutput;
  /** Adjoint: also dL/dfeatures per row. */
  withFeatures?: boolean;
  /** float32 states in WebAssembly memory with the SIMD kernels (every thread of a call uses the same kernels). */
  wasm: boolean;
  chunks: ChunkSlice[];
}

export interface ChunkResult {
  /** Forward: rows x width outputs. */
  out?: Real;
  /** Adjoint: the gradient passes' C sums (gradientLayout). */
  C?: Float64Array;
  /** Adjoint with features: rows x features. */
  featureGrad?: Float64Array;
}

/** Runs every chunk of a job on this thread. */
export function runJob(job: ChunkJob, ws: Workspace): ChunkResult[] {
  const bp = job.program;
  const n = bp.qubits;
  return job.chunks.map((chunk) => {
    const input = { program: bp, precision: job.precision, features: chunk.features, row0: 0, rows: chunk.rows };
    if (job.op === 'forward') {
      const width = chunkOutputWidth(n, job.output);
      const out = job.precision === 'f32' ? new Float32Array(chunk.rows * width) : new Float64Array(chunk.rows * width);
      writeOutputs(forwardStates(input, ws), n, job.output, out, 0, ws);
      return { out };
    }
    const C = new Float64Array(gradientLayout(bp).total);
    const featureGrad = job.withFeatures ? new Float64Array(chunk.rows * bp.features) : null;
    adjointChunk(input, job.output as CircuitOutput, chunk.up!, 0, C, featureGrad, 0, ws);
    return featureGrad ? { C, featureGrad } : { C };
  });
}
