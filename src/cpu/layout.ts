/**
 * The fast CPU engine's state layout: a chunk of S samples, amplitude k of sample b at
 * re[k * S + b] (and im[k * S + b] for complex programs). The inner loop of every kernel runs over
 * b: one gate is applied to the whole chunk at once, with the gate's numbers in locals.
 */
import type { WasmArena } from './wasm.js';

export type Real = Float32Array | Float64Array;

export interface ChunkState {
  /** Samples in the chunk. */
  S: number;
  /** 2^n. */
  D: number;
  re: Real;
  /** null for real programs. */
  im: Real | null;
  /** Set when the arrays are views of a WebAssembly arena's memory: the SIMD kernels apply. */
  arena?: WasmArena;
}

export type Precision = 'f32' | 'f64';

/**
 * Two states (psi and lambda) of up to `capacity` samples: in `arena` (float32 only) or as
 * ordinary typed arrays.
 */
export function allocPair(D: number, capacity: number, complex: boolean, precision: Precision, arena: WasmArena | null): Real[] {
  const len = D * capacity;
  const count = complex ? 4 : 2;
  if (arena && precision === 'f32') {
    arena.reset();
    const at: number[] = [];
    for (let i = 0; i < count; i++) at.push(arena.alloc(4 * len));
    return at.map((o) => new Float32Array(arena.buffer, o, len));
  }
  const out: Real[] = [];
  for (let i = 0; i < count; i++) out.push(precision === 'f32' ? new Float32Array(len) : new Float64Array(len));
  return out;
}
