import type { CircuitOutput } from '../sim/backend.js';
import { expertBounds } from '../sim/experts.js';
import { gateColumnsDagger, gateRows, multiply, traceDerivative, type BoundProgram, type Square } from './bind.js';
import { applyDense, undoDenseAccumulate } from './dense.js';
import { applyDiagonalPass, applySampleMatrices, initProduct, initZero, probabilityRow, sampleDerivative, sampleMatrices } from './kernels.js';
import { allocPair, type ChunkState, type Precision, type Real } from './layout.js';
import { WasmArena, wasmSimdAvailable } from './wasm.js';

/**
 * One chunk of the batch through a bound program: the forward pass with its outputs, and the
 * adjoint sweep. Pure functions of their arguments, run on the calling thread or in a worker
 * (pool.ts); the batch's results are put together from the chunks in chunk order, so they do not
 * depend on how many threads ran them.
 */

/** What a forward chunk writes: a circuit output, or the amplitudes (interleaved re, im). */
export type ChunkOutput = CircuitOutput | { kind: 'states' };

export function chunkOutputWidth(n: number, output: ChunkOutput): number {
  if (output.kind === 'states') return 2 * 2 ** n;
  if (output.kind === 'experts') return output.experts;
  if (output.kind === 'expectZ') return n;
  return 2 ** n;
}

/**
 * Reusable state arrays of one thread: a pair (psi, lambda) per shape, sized for the largest
 * chunk seen. With `wasm`, float32 states live in this thread's WebAssembly arena (one shape at a
 * time) and the SIMD kernels run on them.
 */
export class Workspace {
  private pairs = new Map<string, { capacity: number; arrays: Real[]; views: Map<number, [ChunkState, ChunkState]> }>();
  private rows = new Map<number, Float64Array[]>();
  private readonly arena: WasmArena | null;
  private arenaKey = '';

  constructor(wasm = false) {
    this.arena = wasm && wasmSimdAvailable() ? new WasmArena() : null;
  }

  /** True when float32 chunks run the WebAssembly SIMD kernels. */
  get wasm(): boolean {
    return this.arena !== null;
  }

  /** psi and lambda for a chunk of S samples. */
  pair(D: number, S: number, complex: boolean, precision: Precision): [ChunkState, ChunkState] {
    const key = `${D}:${complex}:${precision}`;
    const inArena = this.arena !== null && precision === 'f32';
    let entry = this.pairs.get(key);
    if (!entry || entry.capacity < S || (inArena && this.arenaKey !== key)) {
      if (inArena) {
        // The arena holds one shape: the others' views are gone after it is reused.
        for (const k of [...this.pairs.keys()]) if (k.endsWith(':f32')) this.pairs.delete(k);
        this.arenaKey = key;
      }
      entry = { capacity: Math.max(S, entry?.capacity ?? 0), arrays: [], views: new Map() };
      entry.arrays = allocPair(D, entry.capacity, complex, precision, inArena ? this.arena : null);
      this.pairs.set(key, entry);
    }
    let views = entry.views.get(S);
    if (!views) {
      const a = entry.arrays.map((x) => x.subarray(0, D * S));
      const arena = inArena ? this.arena! : undefined;
      views = [
        { S, D, re: a[0], im: complex ? a[2] : null, arena },
        { S, D, re: a[1], im: complex ? a[3] : null, arena },
      ];
      entry.views.set(S, views);
    }
    return views;
  }

  /** A zeroed scratch array of `length` doubles (slot distinguishes several at once). */
  scratch(length: number, slot: number): Float64Array {
    let list = this.rows.get(length);
    if (!list) this.rows.set(length, (list = []));
    while (list.length <= slot) list.push(new Float64Array(length));
    const a = list[slot];
    a.fill(0);
    return a;
  }

  clear(): void {
    this.pairs.clear();
    this.rows.clear();
    this.arena?.reset();
    this.arenaKey = '';
  }
}

export interface ChunkInput {
  program: BoundProgram;
  precision: Precision;
  /** Features of the whole batch (row-major) or of this chunk only (row0 = 0). */
  features: ArrayLike<number>;
  row0: number;
  rows: number;
}

/** The forward pass of one chunk: the final states. */
export function forwardStates(job: ChunkInput, ws: Workspace): ChunkState {
  const bp = job.program;
  const D = 2 ** bp.qubits;
  const S = job.rows;
  const psi = ws.pair(D, S, !bp.real, job.precision)[0];
  if (bp.prefix) initProduct(psi, bp.prefix, job.features, bp.features, job.row0, job.rows, ws.scratch(8 * S, 0), ws.scratch(4 * S, 5));
  else initZero(psi);
  const m = ws.scratch(8 * S, 0);
  for (const p of bp.passes) {
    if (p.kind === 'dense') applyDense(psi, p, false);
    else if (p.kind === 'diagonal') applyDiagonalPass(psi, p, false);
    else {
      sampleMatrices(p.gate, p.feature, job.features, bp.features, job.row0, S, job.rows, m, false);
      applySampleMatrices(psi, p, m, false);
    }
  }
  return psi;
}

/** Writes the chunk's outputs into out (row-major, `width` per row) at row job.row0 - outRow0. */
export function writeOutputs(psi: ChunkState, n: number, output: ChunkOutput, out: Real, outRow: number, ws: Workspace): void {
  const { S, D, re, im } = psi;
  const width = chunkOutputWidth(n, output);
  const base = outRow * width;
  if (output.kind === 'states') {
    for (let k = 0; k < D; k++) {
      const o = k * S;
      for (let b = 0; b < S; b++) {
        out[base + b * width + 2 * k] = re[o + b];
        out[base + b * width + 2 * k + 1] = im ? im[o + b] : 0;
      }
    }
    return;
  }
  const p = ws.scratch(S, 1);
  if (output.kind === 'probabilities' || output.kind === 'experts') {
    // Straight into the row-major output: probabilities, or their sums over each expert's block.
    const bounds = output.kind === 'experts' ? expertBounds(D, output.experts) : null;
    if (bounds) out.fill(0, base, base + S * width);
    let e = 0;
    for (let k = 0; k < D; k++) {
      const o = k * S;
      let col = k;
      if (bounds) {
        while (k >= bounds[e + 1]) e++;
        col = e;
      }
      const at = base + col;
      if (im) {
        if (bounds) for (let b = 0; b < S; b++) out[at + b * width] += re[o + b] * re[o + b] + im[o + b] * im[o + b];
        else for (let b = 0; b < S; b++) out[at + b * width] = re[o + b] * re[o + b] + im[o + b] * im[o + b];
      } else if (bounds) for (let b = 0; b < S; b++) out[at + b * width] += re[o + b] * re[o + b];
      else for (let b = 0; b < S; b++) out[at + b * width] = re[o + b] * re[o + b];
    }
    return;
  }
  const acc = ws.scratch(S * width, 2); // acc[o * S + b]
  {
    for (let k = 0; k < D; k++) {
      probabilityRow(psi, k, p);
      for (let i = 0; i < n; i++) {
        const o = i * S;
        if ((k >> (n - 1 - i)) & 1) for (let b = 0; b < S; b++) acc[o + b] -= p[b];
        else for (let b = 0; b < S; b++) acc[o + b] += p[b];
      }
    }
  }
  for (let o = 0; o < width; o++) for (let b = 0; b < S; b++) out[base + b * width + o] = acc[o * S + b];
}

/** lambda = 2 (dL/dp) psi, with dL/dp of every basis index from the upstream gradient rows. */
function initAdjoint(psi: ChunkState, lam: ChunkState, n: number, output: CircuitOutput, up: ArrayLike<number>, row0: number, ws: Workspace): void {
  const { S, D } = psi;
  const width = chunkOutputWidth(n, output);
  const w = ws.scratch(S, 1);
  const bounds = output.kind === 'experts' ? expertBounds(D, output.experts) : null;
  let e = 0;
  for (let k = 0; k < D; k++) {
    if (output.kind === 'probabilities') for (let b = 0; b < S; b++) w[b] = up[(row0 + b) * width + k];
    else if (bounds) {
      while (k >= bounds[e + 1]) e++;
      for (let b = 0; b < S; b++) w[b] = up[(row0 + b) * width + e];
    } else {
      for (let b = 0; b < S; b++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += (k >> (n - 1 - i)) & 1 ? -up[(row0 + b) * width + i] : up[(row0 + b) * width + i];
        w[b] = acc;
      }
    }
    const o = k * S;
    for (let b = 0; b < S; b++) lam.re[o + b] = 2 * w[b] * psi.re[o + b];
    if (lam.im && psi.im) for (let b = 0; b < S; b++) lam.im[o + b] = 2 * w[b] * psi.im[o + b];
  }
}

/** Sizes of the C matrices of a program's gradient passes (2 L^2 doubles each), and their total. */
export function gradientLayout(bp: BoundProgram): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const i of bp.gradPasses) {
    const p = bp.passes[i];
    if (p.kind !== 'dense') continue;
    const L = 1 << p.strides.length;
    offsets.push(total);
    total += 2 * L * L;
  }
  return { offsets, total };
}

/**
 * The adjoint sweep of one chunk. Adds, into `C` (gradientLayout), every gradient pass's
 * sum of psi_in lambda_out^dagger over the chunk; when `featureGrad` is given (and the program has
 * no prefix), dL/dfeature of every row into featureGrad[(row0 + b) * features + i] (at outRow).
 */
export function adjointChunk(
  job: ChunkInput, output: CircuitOutput, up: ArrayLike<number>, upRow0: number, C: Float64Array, featureGrad: Float64Array | null, featureRow0: number, ws: Workspace,
): void {
  const bp = job.program;
  const n = bp.qubits;
  const D = 2 ** n;
  const S = job.rows;
  const psi = forwardStates(job, ws);
  const lam = ws.pair(D, S, !bp.real, job.precision)[1];
  initAdjoint(psi, lam, n, output, up, upRow0, ws);
  const { offsets } = gradientLayout(bp);
  let earliest = bp.passes.length;
  for (const i of bp.gradPasses) earliest = Math.min(earliest, i);
  if (featureGrad) bp.passes.forEach((p, i) => (earliest = p.kind === 'sample' ? Math.min(earliest, i) : earliest));
  let g = bp.gradPasses.length - 1;
  const m = ws.scratch(8 * S, 0);
  const dm = ws.scratch(8 * S, 3);
  const acc = ws.scratch(S, 4);
  for (let i = bp.passes.length - 1; i >= earliest; i--) {
    const p = bp.passes[i];
    if (p.kind === 'dense') {
      if (g >= 0 && bp.gradPasses[g] === i) {
        const L = 1 << p.strides.length;
        undoDenseAccumulate(psi, lam, p, C.subarray(offsets[g], offsets[g] + 2 * L * L), i > earliest);
        g--;
      } else {
        applyDense(psi, p, true);
        applyDense(lam, p, true);
      }
    } else if (p.kind === 'diagonal') {
      applyDiagonalPass(psi, p, true);
      applyDiagonalPass(lam, p, true);
    } else {
      sampleMatrices(p.gate, p.feature, job.features, bp.features, job.row0, S, job.rows, m, false);
      applySampleMatrices(psi, p, m, true);
      if (featureGrad) {
        sampleMatrices(p.gate, p.feature, job.features, bp.features, job.row0, S, job.rows, dm, true);
        acc.fill(0);
        sampleDerivative(psi, lam, p, dm, acc);
        for (let b = 0; b < S; b++) featureGrad[(featureRow0 + b) * bp.features + p.feature] += acc[b];
      }
      applySampleMatrices(lam, p, m, true);
    }
  }
}

/**
 * dL/dparams from the summed C matrices: for gate j of a gradient pass, Re tr(dG_j M_j) with
 * M_j = P_j C A_j, swept through the block as M_1 = C B G_1^dagger, M_{j+1} = G_j M_j G_{j+1}^dagger.
 */
export function paramGradient(bp: BoundProgram, C: Float64Array): Float64Array {
  const grad = new Float64Array(bp.params);
  const { offsets } = gradientLayout(bp);
  bp.gradPasses.forEach((i, g) => {
    const p = bp.passes[i];
    if (p.kind !== 'dense' || !p.gates) return;
    const L = 1 << p.strides.length;
    const LL = L * L;
    const c: Square = { re: C.slice(offsets[g], offsets[g] + LL), im: C.slice(offsets[g] + LL, offsets[g] + 2 * LL) };
    const M = multiply(c, { re: p.re, im: p.im ?? new Float64Array(LL) }, L);
    for (const gate of p.gates) {
      gateColumnsDagger(gate, M, L);
      if (gate.dm) grad[gate.param] += traceDerivative(gate, M, L);
      gateRows(gate, M, L);
    }
  });
  return grad;
}
