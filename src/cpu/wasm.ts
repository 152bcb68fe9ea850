import { CPU_KERNELS_WASM } from './wasm-binary.js';

/**
 * The WebAssembly SIMD kernels of the fast CPU engine (wasm/cpu-kernels.ts, float32 states, 4
 * samples per vector): the dense passes, which hold nearly all the arithmetic. Each thread has
 * its own instance and memory (an arena); the states of a chunk live in it and the JavaScript
 * kernels read the same bytes through typed-array views.
 */
interface Exports {
  memory: WebAssembly.Memory;
  real1(a: number, S: number, o0: number, o1: number, m: number): void;
  real2(a: number, S: number, o0: number, o1: number, o2: number, o3: number, m: number): void;
  complex1(re: number, im: number, S: number, o: number, m: number): void;
  complex2(re: number, im: number, S: number, o: number, m: number): void;
  acc1r(a: number, l: number, S: number, o0: number, o1: number, h: number, d: number, undo: number, out: number): void;
  acc2r(a: number, l: number, S: number, o0: number, o1: number, o2: number, o3: number, h: number, d: number, undo: number, out: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

function decode(b64: string): Uint8Array {
  if (typeof atob === 'function') return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** The compiled module, or null where WebAssembly or its SIMD extension is missing. */
function wasmModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    compiled = typeof WebAssembly === 'object' ? new WebAssembly.Module(decode(CPU_KERNELS_WASM) as BufferSource) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** True when this environment runs the SIMD kernels. */
export function wasmSimdAvailable(): boolean {
  return wasmModule() !== null;
}

/** Bytes of fixed scratch at the start of an arena: a group's matrix, offsets, diagonal and C sums. */
const SCRATCH = 1024;

/**
 * One thread's instance of the kernels and a bump allocator over its memory. Views of the
 * memory are made after every growth (growing detaches the old buffer), so callers allocate
 * everything a chunk needs first and take views afterwards.
 */
export class WasmArena {
  readonly k: Exports;
  private top = SCRATCH;
  /** Scratch views: matrix (f32, 32), offsets (i32, 16 + 64 bytes spare), diagonal (f32, 4), C out (f64, 32). */
  mat!: Float32Array;
  offs!: Int32Array;
  diag!: Float32Array;
  out!: Float64Array;
  readonly matPtr = 0;
  readonly offsPtr = 128;
  readonly diagPtr = 384;
  readonly outPtr = 512;

  constructor() {
    const m = wasmModule();
    if (!m) throw new Error('WebAssembly SIMD is not available here');
    this.k = new WebAssembly.Instance(m, {}).exports as unknown as Exports;
    this.ensure(SCRATCH);
  }

  get buffer(): ArrayBuffer {
    return this.k.memory.buffer;
  }

  private ensure(bytes: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (bytes > have) this.k.memory.grow(Math.ceil((bytes - have) / 65536));
    const buf = this.k.memory.buffer;
    this.mat = new Float32Array(buf, this.matPtr, 32);
    this.offs = new Int32Array(buf, this.offsPtr, 32);
    this.diag = new Float32Array(buf, this.diagPtr, 4);
    this.out = new Float64Array(buf, this.outPtr, 32);
  }

  /** Reserves `bytes` (16-byte aligned); returns the byte offset. Views taken before may be detached. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top = at + Math.ceil(bytes / 16) * 16;
    this.ensure(this.top);
    return at;
  }

  /** Forgets every allocation (the memory is kept). */
  reset(): void {
    this.top = SCRATCH;
  }
}
