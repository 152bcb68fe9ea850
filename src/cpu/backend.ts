import type { Circuit } from '../circuit/types.js';
import { validateCircuit } from '../circuit/validate.js';
import { QmoeInputError, checkFiniteResult, checkInt } from '../errors.js';
import type { Backend, BatchInput, CircuitOutput, GradientOptions, GradientResult, RealArray } from '../sim/backend.js';
import { validateUpstream } from '../sim/adjoint-cpu.js';
import { checkFiniteGradient } from '../sim/backend-cpu.js';
import { outputCount, validateOutput } from '../sim/experts.js';
import { validateInput } from '../sim/input.js';
import { bindProgram, type BoundProgram } from './bind.js';
import { chunkOutputWidth, gradientLayout, paramGradient, Workspace, type ChunkOutput } from './chunk.js';
import type { Precision } from './layout.js';
import { splitRanges, type WorkerPool } from './pool.js';
import { bestProgram, compileProgram, programCost, type Program } from './program.js';
import { runJob, type ChunkJob, type ChunkResult, type ChunkSlice } from './tasks.js';

/** Most qubits the fast CPU engine simulates (as the float64 reference). */
export const FAST_MAX_QUBITS = 26;

export interface FastCpuOptions {
  /** Arithmetic of the states: 'f32' (default; values computed in float64, stored in float32) or 'f64'. */
  precision?: Precision;
  /**
   * Worker threads besides the calling one (pool-node.ts / pool-browser.ts). Without a pool every
   * chunk runs on the calling thread; results are the same bit for bit either way. The backend
   * does not dispose a pool it was given.
   */
  pool?: WorkerPool | null;
  /** Dispose the pool with the backend. */
  ownPool?: boolean;
  /** Samples per chunk (default: chunkRowsFor, about 128 KiB of state). Results depend on it, not on the pool. */
  chunkRows?: number;
  /** Largest fused block in qubits, 1 to 4 (default: the cost model's choice of 1 or 2). */
  maxBlock?: number;
  /**
   * Estimated multiply-adds (programCost x rows) under which a call stays on the calling thread:
   * default 2e7, about 10 ms of work. Sending a chunk to a worker costs copies and messages; on 2
   * cores the 2-qubit router at 65536 rows (6e6) was slower on two threads than on one.
   */
  parallelWork?: number;
  /**
   * 'wasm' (default): float32 dense passes in the WebAssembly SIMD kernels where the environment
   * has them; 'js': typed-array JavaScript only. float64 always runs the JavaScript kernels.
   */
  kernels?: 'wasm' | 'js';
}

/**
 * Samples per chunk: about 2 MiB of state (psi and the adjoint state stay in the cache next to
 * the core), 16 to 1024 samples, a multiple of 4 (the SIMD kernels take 4 samples at a time).
 * Larger chunks spread each pass's fixed costs (a group's matrix, a kernel call) over more samples.
 */
export function chunkRowsFor(qubits: number, complex: boolean, precision: Precision): number {
  const bytes = 2 ** qubits * (precision === 'f32' ? 4 : 8) * (complex ? 2 : 1);
  const rows = Math.max(16, Math.min(1024, Math.floor((2 * 1024 * 1024) / bytes)));
  return rows - (rows % 4);
}

type Mode = 'probabilities' | 'states' | 'gradient' | 'gradient-features';

/** The buffers of chunks copied for a worker (moved, not cloned). */
function transferOf(chunks: ChunkSlice[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const c of chunks) for (const a of [c.features, c.up]) if (a && a.byteLength > 0) out.push(a.buffer as ArrayBuffer);
  return out;
}

function copyCircuit(c: Circuit): Circuit {
  return { qubits: c.qubits, features: c.features, params: c.params, ops: c.ops.map((op) => ({ gate: op.gate, wires: [...op.wires], angle: op.angle && { ...op.angle } })) };
}

/** Structural equality of two validated circuits (no allocation: it runs on every call). */
function sameCircuit(a: Circuit, b: Circuit): boolean {
  if (a.qubits !== b.qubits || a.features !== b.features || a.params !== b.params || a.ops.length !== b.ops.length) return false;
  for (let i = 0; i < a.ops.length; i++) {
    const x = a.ops[i], y = b.ops[i];
    if (x.gate !== y.gate || x.wires.length !== y.wires.length) return false;
    for (let w = 0; w < x.wires.length; w++) if (x.wires[w] !== y.wires[w]) return false;
    const p = x.angle, q = y.angle;
    if (!p || !q) {
      if (p !== q) return false;
      continue;
    }
    if (p.kind !== q.kind) return false;
    if (p.kind === 'const' ? p.value !== (q as typeof p).value : p.index !== (q as typeof p).index) return false;
  }
  return true;
}

/**
 * The fast CPU backend: the Backend interface over compiled programs (program.ts) run on chunks
 * of the batch laid out across samples (layout.ts), on the calling thread and a worker pool.
 */
export class FastCpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly precision: Precision;
  private readonly pool: WorkerPool | null;
  private readonly ownPool: boolean;
  private readonly chunkRows: number | undefined;
  private readonly maxBlock: number | undefined;
  private readonly parallelWork: number;
  private programs = new WeakMap<Circuit, { copy: Circuit; byMode: Map<Mode, Program> }>();
  private readonly ws: Workspace;

  constructor(options: FastCpuOptions = {}) {
    const precision = options.precision ?? 'f32';
    if (precision !== 'f32' && precision !== 'f64') throw new QmoeInputError('precision', precision, "must be 'f32' or 'f64'");
    this.precision = precision;
    this.pool = options.pool ?? null;
    this.ownPool = options.ownPool === true;
    this.chunkRows = options.chunkRows === undefined ? undefined : checkInt('chunkRows', options.chunkRows, 1, 1 << 20);
    this.maxBlock = options.maxBlock === undefined ? undefined : checkInt('maxBlock', options.maxBlock, 1, 4);
    this.parallelWork = options.parallelWork ?? 2e7;
    const kernels = options.kernels ?? 'wasm';
    if (kernels !== 'wasm' && kernels !== 'js') throw new QmoeInputError('kernels', kernels, "must be 'wasm' or 'js'");
    this.ws = new Workspace(kernels === 'wasm' && precision === 'f32');
  }

  /** The kernels float32 chunks run: 'wasm' (SIMD) or 'js'. */
  get kernels(): 'wasm' | 'js' {
    return this.ws.wasm ? 'wasm' : 'js';
  }

  /** Threads a call may use: the calling one and the pool's. */
  get threads(): number {
    return 1 + (this.pool?.size ?? 0);
  }

  /** Validates a call's circuit (once per circuit object while it is unchanged) and input. */
  private check(circuit: Circuit, input: BatchInput): void {
    const entry = this.programs.get(circuit);
    if (!entry || !sameCircuit(entry.copy, circuit)) {
      validateCircuit(circuit);
      checkInt('circuit.qubits', circuit.qubits, 1, FAST_MAX_QUBITS);
    }
    validateInput(circuit, input);
  }

  /** The compiled program of a circuit for a mode, cached per circuit object (recompiled if it was changed). */
  program(circuit: Circuit, mode: Mode): Program {
    let entry = this.programs.get(circuit);
    if (!entry || !sameCircuit(entry.copy, circuit)) {
      entry = { copy: copyCircuit(circuit), byMode: new Map() };
      this.programs.set(circuit, entry);
    }
    let p = entry.byMode.get(mode);
    if (p) return p;
    const compile = (prefix: boolean) =>
      this.maxBlock === undefined
        ? bestProgram(circuit, { prefix, dropTrailingDiagonal: mode !== 'states' })
        : compileProgram(circuit, { prefix, dropTrailingDiagonal: mode !== 'states', maxBlock: this.maxBlock });
    if (mode === 'gradient') {
      // The adjoint sweep stops at the prefix: a prefix with trainable angles needs plain passes.
      // Otherwise the forward program serves (and its bound matrices are reused, see bind()).
      p = this.program(circuit, 'probabilities');
      if (p.prefix?.some((ops) => ops.some((op) => op.angle?.kind === 'param'))) p = compile(false);
    } else p = compile(mode !== 'gradient-features');
    entry.byMode.set(mode, p);
    return p;
  }

  private lastBound: { program: Program; params: Float64Array; bound: BoundProgram } | null = null;

  /** bindProgram, reused when the same program is bound to the same parameters again (a forward, then its gradient). */
  private bind(program: Program, params: ArrayLike<number> | undefined): BoundProgram {
    const last = this.lastBound;
    const n = params?.length ?? 0;
    if (last && last.program === program && last.params.length === n) {
      let same = true;
      for (let i = 0; i < n && same; i++) same = last.params[i] === params![i];
      if (same) return last.bound;
    }
    const bound = bindProgram(program, params);
    this.lastBound = { program, params: Float64Array.from(params ?? []), bound };
    return bound;
  }

  /**
   * The batch cut into chunks: views of the caller's arrays for the chunks this thread runs, copies
   * (transferred, not cloned) for those that go to a worker.
   */
  private slices(bp: BoundProgram, input: BatchInput, rowsPerChunk: number, threads: number, up?: ArrayLike<number>, upWidth = 0): ChunkSlice[] {
    const F = bp.features;
    const out: ChunkSlice[] = [];
    const view = (a: ArrayLike<number> | undefined, from: number, to: number, copy: boolean): Float64Array => {
      if (!copy && a instanceof Float64Array) return a.subarray(from, to);
      const c = new Float64Array(to - from);
      for (let i = from; i < to; i++) c[i - from] = a![i];
      return c;
    };
    const count = Math.ceil(input.rows / rowsPerChunk);
    const local = splitRanges(count, threads)[0]?.[1] ?? count;
    for (let at = 0, index = 0; at < input.rows; at += rowsPerChunk, index++) {
      const copy = index >= local;
      const rows = Math.min(rowsPerChunk, input.rows - at);
      const slice: ChunkSlice = { rows, features: F > 0 ? view(input.features, at * F, (at + rows) * F, copy) : new Float64Array(0) };
      if (up) slice.up = view(up, at * upWidth, (at + rows) * upWidth, copy);
      out.push(slice);
    }
    return out;
  }

  /** Threads a call of this much work uses. */
  private threadsFor(work: number): number {
    return work >= this.parallelWork ? this.threads : 1;
  }

  /** Runs a job's chunks: the calling thread takes the first range, pool workers the others. */
  private async run(job: ChunkJob, threads: number): Promise<ChunkResult[]> {
    const ranges = splitRanges(job.chunks.length, threads);
    if (ranges.length <= 1) return runJob(job, this.ws);
    const remote = ranges.slice(1).map(([a, b], i) =>
      this.pool!.call(i, { type: 'chunks', job: { ...job, chunks: job.chunks.slice(a, b) } }, transferOf(job.chunks.slice(a, b))).then((r) => {
        if (r.type !== 'chunks') throw new Error('fast CPU worker: unexpected response');
        return r.results;
      }),
    );
    const [a0, b0] = ranges[0];
    const mine = runJob({ ...job, chunks: job.chunks.slice(a0, b0) }, this.ws);
    const theirs = await Promise.all(remote);
    return [mine, ...theirs].flat();
  }

  private rowsPerChunk(program: Program): number {
    return this.chunkRows ?? chunkRowsFor(program.qubits, !program.real, this.precision);
  }

  private async forward(circuit: Circuit, input: BatchInput, output: ChunkOutput): Promise<RealArray> {
    const program = this.program(circuit, output.kind === 'states' ? 'states' : 'probabilities');
    const bp = this.bind(program, input.params);
    const threads = this.threadsFor(programCost(program) * input.rows);
    const chunks = this.slices(bp, input, this.rowsPerChunk(program), threads);
    const results = await this.run({ op: 'forward', program: bp, precision: this.precision, output, chunks, wasm: this.ws.wasm }, threads);
    const width = chunkOutputWidth(circuit.qubits, output);
    if (results.length === 1) return checkedOutput(results[0].out!, output, width);
    const out = this.precision === 'f32' ? new Float32Array(input.rows * width) : new Float64Array(input.rows * width);
    let at = 0;
    results.forEach((r, i) => {
      out.set(r.out!, at);
      at += chunks[i].rows * width;
    });
    return checkedOutput(out, output, width);
  }

  async states(circuit: Circuit, input: BatchInput): Promise<RealArray> {
    this.check(circuit, input);
    return this.forward(circuit, input, { kind: 'states' });
  }

  async probabilities(circuit: Circuit, input: BatchInput): Promise<RealArray> {
    this.check(circuit, input);
    return this.forward(circuit, input, { kind: 'probabilities' });
  }

  async expertProbabilities(circuit: Circuit, input: BatchInput, experts: number): Promise<RealArray> {
    this.check(circuit, input);
    checkInt('experts', experts, 1, 2 ** circuit.qubits);
    return this.forward(circuit, input, { kind: 'experts', experts });
  }

  async evaluate(circuit: Circuit, input: BatchInput, output: CircuitOutput): Promise<RealArray> {
    this.check(circuit, input);
    validateOutput(circuit.qubits, output);
    return this.forward(circuit, input, output);
  }

  /** Adjoint-method gradient (see Backend.gradient): per-chunk sums reduced in chunk order, in float64. */
  async gradient(circuit: Circuit, input: BatchInput, output: CircuitOutput, dLdOut: ArrayLike<number>, options: GradientOptions = {}): Promise<GradientResult> {
    this.check(circuit, input);
    validateOutput(circuit.qubits, output);
    const outputs = outputCount(circuit.qubits, output);
    validateUpstream(dLdOut, input.rows, outputs);
    const withFeatures = options.features === true;
    const program = this.program(circuit, withFeatures ? 'gradient-features' : 'gradient');
    const bp = this.bind(program, input.params);
    const threads = this.threadsFor(3 * programCost(program) * input.rows);
    const chunks = this.slices(bp, input, this.rowsPerChunk(program), threads, dLdOut, outputs);
    const results = await this.run({ op: 'adjoint', program: bp, precision: this.precision, output, withFeatures, chunks, wasm: this.ws.wasm }, threads);
    const C = new Float64Array(gradientLayout(bp).total);
    for (const r of results) for (let i = 0; i < C.length; i++) C[i] += r.C![i];
    const params = paramGradient(bp, C);
    if (!withFeatures) {
      checkFiniteGradient({ params }, circuit.features);
      return { params };
    }
    const features = new Float64Array(input.rows * circuit.features);
    let at = 0;
    results.forEach((r, i) => {
      features.set(r.featureGrad!, at);
      at += chunks[i].rows * circuit.features;
    });
    checkFiniteGradient({ params, features }, circuit.features);
    return { params, features };
  }

  dispose(): void {
    this.ws.clear();
    this.programs = new WeakMap();
    this.lastBound = null;
    if (this.ownPool) this.pool?.dispose();
  }
}

/** A NaN or infinity in the results (inputs whose products overflow) is a QmoeNumericError, as on the reference. */
function checkedOutput(out: RealArray, output: ChunkOutput, width: number): RealArray {
  const what = output.kind === 'states' ? 'the state vectors' : output.kind === 'probabilities' ? 'the probabilities' : 'the outputs';
  checkFiniteResult(what, out, width);
  return out;
}
