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

/** What a circuit yields per row. */
export type CircuitOutput =
  /** The 2^n basis-state probabilities. */
  | { kind: 'probabilities' }
  /** Expert probabilities: sums of the probabilities over the blocks of expertBounds(2^n, experts). */
  | { kind: 'experts'; experts: number }
  /** <Z_i> for every qubit i = 0..n-1 (PennyLane's expval(PauliZ(i))): sum_k p_k (1 - 2 bit_i(k)). */
  | { kind: 'expectZ' };

/** Gradient of a scalar loss through the circuit (a vector-Jacobian product). */
export interface GradientResult {
  /** dL/dparams summed over the rows of the batch: circuit.params numbers. */
  params: RealArray;
  /** dL/dfeatures per row (rows x circuit.features), only when asked for. */
  features?: RealArray;
}

export interface GradientOptions {
  /** Also return the gradient with respect to every input feature of every row. */
  features?: boolean;
}

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
  /** The circuit's outputs per row: rows x outputCount(circuit, output). */
  evaluate(circuit: Circuit, input: BatchInput, output: CircuitOutput): Promise<RealArray>;
  /**
   * Adjoint-method gradient of L = sum_{r,o} dLdOut[r * outputs + o] * out[r, o], where out is
   * what evaluate() returns: the caller passes the upstream gradient dL/dout (rows x outputs).
   * Gradients with respect to trainable parameters are summed over the batch.
   */
  gradient(circuit: Circuit, input: BatchInput, output: CircuitOutput, dLdOut: ArrayLike<number>, options?: GradientOptions): Promise<GradientResult>;
  /** Frees what the backend holds (GPU buffers, pipelines). */
  dispose(): void;
}
