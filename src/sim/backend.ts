import type { Circuit } from '../circuit/types.js';

/** A batch of input rows and the trainable parameters they share. */
export interface BatchInput {
  /** Number of input rows (samples) in the batch, at least 1. */
  rows: number;
  /** Row-major features, `rows * circuit.features` finite numbers (omit when the circuit has none). */
  features?: ArrayLike<number>;
  /** Trainable parameters, `circuit.params` finite numbers (omit when the circuit has none). */
  params?: ArrayLike<number>;
}

/** Float64Array from the CPU reference, Float32Array from the GPU. */
export type RealArray = Float32Array | Float64Array;

/**
 * What every simulator backend offers. Basis index k of an n-qubit state has qubit 0 as its most
 * significant bit. Results are row-major over the batch.
 */
export interface Backend {
  readonly kind: 'cpu' | 'webgpu';
  /** Final state vectors: rows x 2^n complex amplitudes, interleaved (re, im). */
  states(circuit: Circuit, input: BatchInput): Promise<RealArray>;
  /** Basis-state probabilities |<k|psi>|^2: rows x 2^n. */
  probabilities(circuit: Circuit, input: BatchInput): Promise<RealArray>;
  /**
   * Expert probabilities: rows x experts, experts <= 2^n. Outcome k goes to expert e when
   * expertBounds(2^n, experts)[e] <= k < expertBounds(...)[e + 1]: contiguous blocks of basis
   * states, so for experts = 2^m expert e is the value of the first m qubits.
   */
  expertProbabilities(circuit: Circuit, input: BatchInput, experts: number): Promise<RealArray>;
  /** Frees what the backend holds (GPU buffers, pipelines). */
  dispose(): void;
}
