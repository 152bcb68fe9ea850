import type { Circuit } from '../circuit/types.js';
import { validateCircuit } from '../circuit/validate.js';
import { QmoeInputError, checkInt } from '../errors.js';
import type { Backend, BatchInput, CircuitOutput, GradientOptions, GradientResult, RealArray } from '../sim/backend.js';
import { validateUpstream } from '../sim/adjoint-cpu.js';
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
  /** Samples per chunk (default: chunkRowsFor, about 128 KiB of state). Results depend on it, not on the pool. */
  chunkRows?: number;
  /** Largest fused block in qubits, 1 to 4 (default: the cost model's choice of 1 or 2). */
  maxBlock?: number;
  /** Estimated multiply-adds under which a call stays on the calling thread (default 2e6: about a millisecond). */
  parallelWork?: number;
}

/** Samples per chunk: about 128 KiB of state per chunk (it and the adjoint state stay in the core's L2 cache). */
export function chunkRowsFor(qubits: number, complex: boolean, precision: Precision): number {
  const bytes = 2 ** qubits * (precision === 'f32' ? 4 : 8) * (complex ? 2 : 1);
  return Math.max(1, Math.min(1024, Math.floor((128 * 1024) / bytes)));
}

type Mode = 'probabilities' | 'states' | 'gradient' | 'gradient-features';

/**
 * The fast CPU backend: the Backend interface over compiled programs (program.ts) run on chunks
 * of the batch laid out across samples (layout.ts), on the calling thread and a worker pool.
 */
export class FastCpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly precision: Precision;
  private readonly pool: WorkerPool | null;
  private readonly chunkRows: number | undefined;
  private readonly maxBlock: number | undefined;
  private readonly parallelWork: number;
  private readonly programs = new Map<string, Program>();
  private readonly ws = new Workspace();

  constructor(options: FastCpuOptions = {}) {
    const precision = options.precision ?? 'f32';
    if (precision !== 'f32' && precision !== 'f64') throw new QmoeInputError('precision', precision, "must be 'f32' or 'f64'");
    this.precision = precision;
    this.pool = options.pool ?? null;
    this.chunkRows = options.chunkRows === undefined ? undefined : checkInt('chunkRows', options.chunkRows, 1, 1 << 20);
    this.maxBlock = options.maxBlock === undefined ? undefined : checkInt('maxBlock', options.maxBlock, 1, 4);
    this.parallelWork = options.parallelWork ?? 2e6;
  }

  /** Threads a call may use: the calling one and the pool's. */
  get threads(): number {
    return 1 + (this.pool?.size ?? 0);
  }

  private check(circuit: Circuit, input: BatchInput): void {
    validateCircuit(circuit);
    checkInt('circuit.qubits', circuit.qubits, 1, FAST_MAX_QUBITS);
    validateInput(circuit, input);
  }

  /** The compiled program of a circuit for a mode, cached by the circuit's structure. */
  program(circuit: Circuit, mode: Mode): Program {
    const key = `${mode}|${this.maxBlock ?? ''}|${JSON.stringify(circuit)}`;
    let p = this.programs.get(key);
    if (p) return p;
    const compile = (prefix: boolean) =>
      this.maxBlock === undefined
        ? bestProgram(circuit, { prefix, dropTrailingDiagonal: mode !== 'states' })
        : compileProgram(circuit, { prefix, dropTrailingDiagonal: mode !== 'states', maxBlock: this.maxBlock });
    p = compile(mode !== 'gradient-features');
    // The adjoint sweep stops at the prefix: a prefix with trainable angles needs plain passes.
    if (mode === 'gradient' && p.prefix?.some((ops) => ops.some((op) => op.angle?.kind === 'param'))) p = compile(false);
    if (this.programs.size > 256) this.programs.clear();
    this.programs.set(key, p);
    return p;
  }

  private slices(bp: BoundProgram, input: BatchInput, rowsPerChunk: number, up?: ArrayLike<number>, upWidth = 0): ChunkSlice[] {
    const F = bp.features;
    const out: ChunkSlice[] = [];
    for (let at = 0; at < input.rows; at += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, input.rows - at);
      const features = new Float64Array(rows * F);
      for (let i = 0; i < rows * F; i++) features[i] = input.features![at * F + i];
      const slice: ChunkSlice = { rows, features };
      if (up) {
        slice.up = new Float64Array(rows * upWidth);
        for (let i = 0; i < rows * upWidth; i++) slice.up[i] = up[at * upWidth + i];
      }
      out.push(slice);
    }
    return out;
  }

  /** Runs a job's chunks: the calling thread takes the first range, pool workers the others. */
  private async run(job: ChunkJob, work: number): Promise<ChunkResult[]> {
    const threads = work >= this.parallelWork ? this.threads : 1;
    const ranges = splitRanges(job.chunks.length, threads);
    if (ranges.length <= 1) return runJob(job, this.ws);
    const remote = ranges.slice(1).map(([a, b], i) =>
      this.pool!.call(i, { type: 'chunks', job: { ...job, chunks: job.chunks.slice(a, b) } }).then((r) => {
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
    const bp = bindProgram(program, input.params);
    const chunks = this.slices(bp, input, this.rowsPerChunk(program));
    const results = await this.run({ op: 'forward', program: bp, precision: this.precision, output, chunks }, programCost(program) * input.rows);
    const width = chunkOutputWidth(circuit.qubits, output);
    const out = this.precision === 'f32' ? new Float32Array(input.rows * width) : new Float64Array(input.rows * width);
    let at = 0;
    results.forEach((r, i) => {
      out.set(r.out!, at);
      at += chunks[i].rows * width;
    });
    return out;
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
    validateCircuit(circuit);
    checkInt('experts', experts, 1, 2 ** circuit.qubits);
    this.check(circuit, input);
    return this.forward(circuit, input, { kind: 'experts', experts });
  }

  async evaluate(circuit: Circuit, input: BatchInput, output: CircuitOutput): Promise<RealArray> {
    validateCircuit(circuit);
    validateOutput(circuit.qubits, output);
    this.check(circuit, input);
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
    const bp = bindProgram(program, input.params);
    const chunks = this.slices(bp, input, this.rowsPerChunk(program), dLdOut, outputs);
    const results = await this.run({ op: 'adjoint', program: bp, precision: this.precision, output, withFeatures, chunks }, 3 * programCost(program) * input.rows);
    const C = new Float64Array(gradientLayout(bp).total);
    for (const r of results) for (let i = 0; i < C.length; i++) C[i] += r.C![i];
    const params = paramGradient(bp, C);
    if (!withFeatures) return { params };
    const features = new Float64Array(input.rows * circuit.features);
    let at = 0;
    results.forEach((r, i) => {
      features.set(r.featureGrad!, at);
      at += chunks[i].rows * circuit.features;
    });
    return { params, features };
  }

  dispose(): void {
    this.ws.clear();
    this.programs.clear();
  }
}
