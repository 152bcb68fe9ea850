/**
 * The fast CPU engine's state layout: a chunk of S samples, amplitude k of sample b at
 * re[k * S + b] (and im[k * S + b] for complex programs). The inner loop of every kernel runs over
 * b: one gate is applied to the whole chunk at once, with the gate's numbers in locals.
 */
export type Real = Float32Array | Float64Array;

export interface ChunkState {
  /** Samples in the chunk. */
  S: number;
  /** 2^n. */
  D: number;
  re: Real;
  /** null for real programs. */
  im: Real | null;
}

export type Precision = 'f32' | 'f64';

export function allocState(D: number, S: number, complex: boolean, precision: Precision): ChunkState {
  const make = (len: number) => (precision === 'f32' ? new Float32Array(len) : new Float64Array(len));
  return { S, D, re: make(D * S), im: complex ? make(D * S) : null };
}
