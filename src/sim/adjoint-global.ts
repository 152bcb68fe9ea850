import type { Circuit } from '../circuit/types.js';
import { GATES } from '../circuit/gates.js';
import { validateCircuit } from '../circuit/validate.js';
import { QmoeInputError } from '../errors.js';
import { AnglesStep } from '../gpu/angles.js';
import type { BufferSet } from '../gpu/buffer-set.js';
import { formatBytes } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { isSoftwareAdapter } from '../gpu/software-adapter.js';
import { type KernelStep, getKernel, grid, kernelStep } from '../gpu/kernel.js';
import { KERNELS } from '../gpu/kernels.js';
import { UniformTable } from '../gpu/uniform-table.js';
import { NO_INDEX, OP_KIND, OP_KIND_BITS, OUTPUT_KIND } from '../gpu/op-codes.js';
import { ColumnReducer } from '../gpu/reduce.js';
import { GradientRunner, type GradientRunnerOptions, adjointShape, checkAdjointFits, upstreamBuffer } from './adjoint-gpu.js';
import type { CircuitOutput } from './backend.js';
import { GradientRunnerBase } from './gradient-runner-base.js';
import { type CompiledCircuit, compileCircuit, derivativeOffset, paramOfMatrix } from './compile.js';
import { maxBindingBytes } from './statevector-gpu.js';
import { type FusedPass, fuseTiles } from './fuse.js';
import { type GlobalFusion, TilePlan, defaultFusion, tileBits, tileGroupSize } from './tile-passes-gpu.js';

/** Invocations per workgroup of the global adjoint's kernels (the WebGPU default limit). */
const GROUP_SIZE = 256;

/** Bytes of one n-qubit state (real: f32 amplitudes; else complex). */
export function stateBytes(qubits: number, real: boolean): number {
  return 2 ** qubits * (real ? 4 : 8);
}

/**
 * How stage 1 of the backward sweep's reduction sums the terms of an op: over each workgroup in
 * workgroup memory (one partial per GROUP_SIZE pairs), or not at all (one partial per pair, no
 * barrier: shaders/global_gate.wgsl's WG_REDUCE off), stage 2 then summing GROUP_SIZE times more.
 * SwiftShader runs a kernel with a barrier about 10x slower; a GPU gains from the workgroup sums.
 */
export type StageOneReduction = 'workgroup' | 'invocation';

/** Stage-1 partial sums per sample of the backward sweep. */
function blocksPerSample(qubits: number, reduction: StageOneReduction): number {
  const pairs = 2 ** (qubits - 1);
  return reduction === 'invocation' ? pairs : Math.max(1, pairs / GROUP_SIZE);
}

/** The stage-1 reduction on this adapter: per invocation on SwiftShader (a CPU), per workgroup on a GPU. */
export function defaultReduction(gpu: GpuContext): StageOneReduction {
  // A CPU implementation of WebGPU, however it was found (VK_ICD_FILENAMES makes SwiftShader 'vulkan-system').
  return isSoftwareAdapter(gpu) ? 'invocation' : 'workgroup';
}

/** Largest state the global adjoint holds on this adapter: one storage binding, one allocation. */
function maxStateBytes(gpu: GpuContext): number {
  return Math.min(maxBindingBytes(gpu), gpu.maxAllocationBytes);
}

/** Most qubits the global-memory adjoint holds on this adapter (a state within one binding). */
export function maxGlobalAdjointQubits(gpu: GpuContext, real: boolean): number {
  // Indices are u32: 2^n amplitudes of a chunk stay below 2^31 (also a bound for one state).
  return Math.min(30, Math.floor(Math.log2(maxStateBytes(gpu) / (real ? 4 : 8))));
}

/** Throws the QmoeInputError of a circuit whose one state does not fit one storage binding. */
export function checkGlobalAdjointFits(gpu: GpuContext, qubits: number, real: boolean): void {
  if (qubits <= maxGlobalAdjointQubits(gpu, real)) return;
  const bytes = stateBytes(qubits, real);
  const which = gpu.maxAllocationBytes < maxBindingBytes(gpu) ? `the allocation cap (maxAllocationBytes) of ${formatBytes(gpu.maxAllocationBytes)}` : `this adapter's storage binding limit (maxStorageBufferBindingSize) of ${formatBytes(maxBindingBytes(gpu))}`;
  throw new QmoeInputError(
    'circuit.qubits',
    qubits,
    `the global-memory adjoint holds ${real ? 'real' : 'complex'} states of ${formatBytes(bytes)} each, over ${which}: at most ${maxGlobalAdjointQubits(gpu, real)} qubits on this adapter`,
  );
}

/**
 * Rows of one chunk of the global adjoint: psi and lambda of every row of a chunk (two state
 * buffers, plus the partial sums, about 2.01 states per row) within `budgetBytes`, each state
 * buffer within one storage binding and one allocation, and u32 indices.
 */
export function globalAdjointChunkRows(gpu: GpuContext, qubits: number, real: boolean, budgetBytes: number): number {
  checkGlobalAdjointFits(gpu, qubits, real);
  const state = stateBytes(qubits, real);
  const perRow = 2 * state + blocksPerSample(qubits, 'invocation') * 4;
  const byBudget = Math.floor(budgetBytes / perRow);
  const byBinding = Math.floor(maxStateBytes(gpu) / state);
  const byIndex = Math.floor(2 ** 31 / 2 ** qubits);
  const byGrid = Math.floor((gpu.limits.maxComputeWorkgroupsPerDimension ** 2 * GROUP_SIZE) / 2 ** (qubits - 1));
  return Math.max(1, Math.min(byBudget, byBinding, byIndex, byGrid));
}

export interface GlobalGradientOptions {
  features?: boolean;
  forceComplex?: boolean;
  /**
   * GPU memory for the states in flight (psi and lambda of a chunk of rows), in bytes. Default:
   * defaultGlobalBudget (two storage bindings' worth, at most 1 GiB). Batches over it run in
   * chunks, inside one encode.
   */
  budgetBytes?: number;
  /** Stage 1 of the backward sweep's reduction (default: defaultReduction of the adapter). */
  reduction?: StageOneReduction;
  /**
   * How ops are fused into passes over the states: 'tiles' (src/sim/fuse.ts: runs of ops through
   * workgroup-memory tiles, shaders/global_tile.wgsl), 'diagonal' (runs of diagonal gates without
   * gradient slots, shaders/global_diagonal.wgsl), 'none' (one pass per op each way). true: the
   * default, defaultFusion of the adapter (tiles on a GPU, diagonal on SwiftShader); false: 'none'.
   */
  fuse?: boolean | GlobalFusion;
  /** Tile bits of the tile passes (default: the most the adapter's workgroup memory holds). */
  tileBits?: number;
  /** Extra passes between the ops (the Paulis of noise trajectories: src/noise/pauli-global.ts). */
  extras?: SweepExtras;
}

/**
 * A hook for passes between the ops of the global adjoint's sweep, on the runner's own states:
 * encoded after op g in the forward pass (g = -1: right after |0>) and again, as its inverse,
 * before op g is undone in the backward sweep. An op with extras ends its pass (never fused into a
 * diagonal run; the last op of a tile pass).
 */
export interface SweepExtras {
  /** Whether op g (-1: the start) has extra passes. */
  has(g: number): boolean;
  /** Called once, with the runner's buffers and the psi and lambda buffers its `chunks` chunks share. */
  build(buffers: BufferSet, states: { psi: GPUBuffer; lam: GPUBuffer }, chunks: number): Promise<void>;
  /** Encodes the passes after op g for the chunk `index` of `rows` rows from batch row `first`. */
  encode(pass: GPUComputePassEncoder, g: number, chunk: { index: number; first: number; rows: number }, backward: boolean): void;
}

/** The fusion a GlobalGradientOptions.fuse asks for on this adapter. */
export function resolveFusion(gpu: GpuContext, fuse: GlobalGradientOptions['fuse']): GlobalFusion {
  if (fuse === undefined || fuse === true) return defaultFusion(gpu);
  if (fuse === false) return 'none';
  if (fuse !== 'tiles' && fuse !== 'diagonal' && fuse !== 'none') throw new QmoeInputError('fuse', fuse, "must be 'tiles', 'diagonal', 'none' or a boolean");
  return fuse;
}

/** The tile passes of the global adjoint: forward (one tile) and backward (psi and lambda tiles, gradient columns). */
interface TileSweep {
  forwardBits: number;
  backwardBits: number;
  forward: FusedPass[];
  backward: FusedPass[];
  /** Partials per sample and gradient column of a backward tile pass. */
  blocks: number;
  /** Most gradient columns of a backward tile pass. */
  columns: number;
}

/** The tile kernels' steps of one chunk of rows. */
interface TileSteps {
  forward: KernelStep<'global_tile'>;
  backward: KernelStep<'global_tile'>;
  sum: KernelStep<'global_tile_sum'>;
}

/** A step of the sweep: one op, or a run of consecutive diagonal ops without gradient slots. */
export type SweepSegment = { op: number } | { first: number; count: number };

/**
 * The global adjoint's passes over a circuit's ops: each maximal run of two or more consecutive
 * diagonal gates without a gradient slot (`hasGrad`) is one segment (shaders/global_diagonal.wgsl),
 * every other op one of its own.
 */
export function sweepSegments(circuit: Circuit, hasGrad: readonly boolean[], fuse = true): SweepSegment[] {
  const out: SweepSegment[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length >= 2) out.push({ first: run[0], count: run.length });
    else for (const g of run) out.push({ op: g });
    run = [];
  };
  circuit.ops.forEach((op, g) => {
    if (fuse && GATES[op.gate].diagonal && !hasGrad[g]) {
      run.push(g);
      return;
    }
    flush();
    out.push({ op: g });
  });
  flush();
  return out;
}

/**
 * The default budget of the global adjoint's states in flight on this adapter: two storage
 * bindings' worth, at most 1 GiB (SwiftShader fails buffers near its 1 GiB limits).
 */
export function defaultGlobalBudget(gpu: GpuContext): number {
  return Math.min(2 * maxStateBytes(gpu), 2 ** 30);
}

/** The kernel steps of one chunk of rows, each with its own Meta uniform. */
interface ChunkSteps {
  first: number;
  init: KernelStep<'init_state'>;
  forward: KernelStep<'global_gate'>;
  lambda: KernelStep<'global_lambda'>;
  backward: KernelStep<'global_gate'>;
  sum: KernelStep<'global_grad_sum'>;
  diagForward: KernelStep<'global_diagonal'>;
  diagBackward: KernelStep<'global_diagonal'>;
  tiles?: TileSteps;
}

/**
 * The adjoint gradient of a circuit with its states in global memory (storage buffers), for
 * circuits whose two states do not fit in workgroup memory (shaders/adjoint.wgsl's limit). Same
 * interface as GradientRunner. Per chunk of rows: |0> (init_state.wgsl), the forward pass one
 * dispatch per op (global_gate.wgsl), lambda = 2 (dL/dp) psi (global_lambda.wgsl), then the
 * backward sweep: per op one dispatch that uncomputes psi and lambda and sums Re <lambda| dU |psi>
 * per workgroup (stage 1), and for an op with a gradient slot one that sums a sample's partials
 * into its slot (global_grad_sum.wgsl, stage 2); no intermediate state is stored. The per-row
 * gradients are then summed over the batch (ColumnReducer).
 */
export class GlobalGradientRunner extends GradientRunnerBase {
  /** Rows of one chunk (psi and lambda buffers hold this many states). */
  readonly chunkRows: number;
  private chunks: ChunkSteps[] = [];
  private opGroups!: { forward: GPUBindGroup[]; backward: GPUBindGroup[]; sum: GPUBindGroup[]; diagForward: GPUBindGroup[]; diagBackward: GPUBindGroup[] };
  /** The passes each way (sweepSegments); diagonal runs are numbered in order for their bind groups. */
  readonly segments: SweepSegment[];
  /** Per op: whether the backward sweep has a gradient slot for it. */
  private readonly hasGrad: boolean[];
  /** The fusion in use (resolveFusion of the options). */
  readonly fusion: GlobalFusion;
  /** With tile fusion: the tile passes each way. */
  readonly tileSweep: TileSweep | null = null;
  private tileGroups: { forward: (GPUBindGroup | null)[]; backward: (GPUBindGroup | null)[]; sum: (GPUBindGroup | null)[] } | null = null;
  private readonly extras: SweepExtras | null;

  private constructor(
    gpu: GpuContext,
    circuit: Circuit,
    capacity: number,
    output: CircuitOutput,
    withFeatures: boolean,
    compiled: CompiledCircuit,
    buffers: BufferSet,
    budgetBytes: number,
    readonly reduction: StageOneReduction,
    fusion: GlobalFusion,
    requestedTileBits: number | undefined,
    extras?: SweepExtras,
  ) {
    super(gpu, circuit, capacity, output, withFeatures, compiled, buffers);
    this.chunkRows = Math.min(capacity, globalAdjointChunkRows(gpu, circuit.qubits, compiled.real, budgetBytes));
    const paramOf = paramOfMatrix(compiled);
    this.hasGrad = Array.from({ length: compiled.ops.length / 4 }, (_, g) => {
      const kind = compiled.ops[4 * g] & (2 ** OP_KIND_BITS - 1);
      if (kind === OP_KIND.MATRIX) return paramOf[compiled.ops[4 * g + 3]] !== NO_INDEX;
      return kind === OP_KIND.FEATURE_ROTATION && withFeatures;
    });
    this.fusion = fusion;
    this.extras = extras ?? null;
    this.segments = sweepSegments(circuit, extras ? this.hasGrad.map((h, g) => h || extras.has(g)) : this.hasGrad, fusion === 'diagonal');
    if (fusion === 'tiles') this.tileSweep = this.planTiles(requestedTileBits);
  }

  /** The tile passes each way; the backward ones keep their partial sums within a per-op pass's. */
  private planTiles(requested: number | undefined): TileSweep {
    const { gpu, compiled, circuit } = this;
    const n = circuit.qubits;
    const wg = this.reduction === 'workgroup';
    const forwardBits = tileBits(gpu, n, compiled.real, 'forward', false, requested);
    const backwardBits = tileBits(gpu, n, compiled.real, 'backward', wg, requested);
    const blocks = 2 ** (n - backwardBits) * (wg ? 1 : tileGroupSize(gpu, backwardBits, true));
    const maxGrads = Math.max(1, Math.floor(2 ** (n - 1) / blocks));
    // A pass ends at an op with extra passes after it (noise), which run between the passes.
    const extras = this.extras;
    const endsPass = extras ? (g: number) => extras.has(g) : undefined;
    const backward = fuseTiles(compiled, backwardBits, { hasGrad: this.hasGrad, maxGrads, endsPass });
    const columns = Math.max(0, ...backward.map((p) => (p.kind === 'tile' ? p.grads : 0)));
    return { forwardBits, backwardBits, forward: fuseTiles(compiled, forwardBits, { endsPass }), backward, blocks, columns };
  }

  /**
   * Prepares `circuit` for gradients of batches of up to `capacity` rows. Throws a QmoeInputError
   * when one state does not fit a storage binding, a QmoeGpuMemoryError when a buffer cannot be
   * allocated.
   */
  static async create(gpu: GpuContext, circuit: Circuit, capacity: number, output: CircuitOutput, options: GlobalGradientOptions = {}): Promise<GlobalGradientRunner> {
    const buffers = GradientRunnerBase.checkedBuffers(gpu, circuit, capacity, output, 'the global-memory gradient runner');
    const compiled = compileCircuit(circuit, options.forceComplex === true);
    checkGlobalAdjointFits(gpu, circuit.qubits, compiled.real);
    const budget = options.budgetBytes ?? defaultGlobalBudget(gpu);
    return GradientRunnerBase.settle(buffers, () => {
      const reduction = options.reduction ?? defaultReduction(gpu);
      if (reduction !== 'workgroup' && reduction !== 'invocation') throw new QmoeInputError('reduction', reduction, "must be 'workgroup' or 'invocation'");
      const fusion = resolveFusion(gpu, options.fuse);
      return new GlobalGradientRunner(gpu, circuit, capacity, output, options.features === true, compiled, buffers, budget, reduction, fusion, options.tileBits, options.extras);
    });
  }

  protected async build(): Promise<void> {
    const { gpu, compiled, circuit, buffers, chunkRows } = this;
    const n = circuit.qubits;
    const real = compiled.real;
    const numOps = compiled.ops.length / 4;
    this.angles = await AnglesStep.create(buffers, this.featuresBuf, this.capacity * circuit.features);
    const psi = buffers.storage('psi', chunkRows * stateBytes(n, real));
    const lam = buffers.storage('lambda', chunkRows * stateBytes(n, real));
    const tileFloats = this.tileSweep ? this.tileSweep.columns * this.tileSweep.blocks : 0;
    const partials = buffers.storage('partial sums', chunkRows * Math.max(blocksPerSample(n, this.reduction), tileFloats) * 4);
    const ops = buffers.storageOf('ops', compiled.ops);
    const paramOf = buffers.storageOf('param of matrix', paramOfMatrix(compiled));
    const seg = Math.min(2 ** (n - 1), GROUP_SIZE);
    const gate = (backward: boolean) => getKernel(gpu, 'global_gate', { REAL: real, BACKWARD: backward, WG_REDUCE: backward && this.reduction === 'workgroup' }, { QUBITS: n, GROUP_SIZE, SEG: seg });
    const diagonal = (backward: boolean) => getKernel(gpu, 'global_diagonal', { REAL: real, BACKWARD: backward }, { QUBITS: n });
    const [diagForward, diagBackward] = await Promise.all([diagonal(false), diagonal(true)]);
    const [init, forward, backward, lambda, sum] = await Promise.all([
      getKernel(gpu, 'init_state', { REAL: real }),
      gate(false),
      gate(true),
      getKernel(gpu, 'global_lambda', { REAL: real }, { QUBITS: n, OUTPUT_KIND: OUTPUT_KIND[this.output.kind] }),
      getKernel(gpu, 'global_grad_sum', { WG_REDUCE: this.reduction === 'workgroup' }, { GROUP_SIZE, SEG: GROUP_SIZE }),
    ]);
    // One OpIndex per op: group 1 of the per-op dispatches; one (first, count) per diagonal run, likewise.
    const indices = new UniformTable(gpu, buffers, 'op indices', KERNELS.global_gate.structs.OpIndex, Array.from({ length: numOps }, (_, g) => ({ index: g })));
    const runs = this.segments.filter((s): s is { first: number; count: number } => 'first' in s);
    const runIndices = new UniformTable(gpu, buffers, 'diagonal runs', KERNELS.global_diagonal.structs.OpIndex, runs.map((r) => ({ index: r.first, count: r.count })));
    this.opGroups = { forward: indices.groups(forward), backward: indices.groups(backward), sum: indices.groups(sum), diagForward: runIndices.groups(diagForward), diagBackward: runIndices.groups(diagBackward) };
    const tables = { ops, mats: this.matsBuf, trig: this.angles.trig };
    const noFeatures = this.featureGrad ?? buffers.storage('no dL/dfeatures', 16);
    const noParams = circuit.params > 0 ? this.perSampleParamGrad : buffers.storage('no dL/dparams', 16);
    const tileSteps = this.tileSweep ? await this.buildTiles({ ...tables, psi, lam, partials, paramOf, noParams, noFeatures }) : null;
    for (let first = 0; first < this.capacity; first += chunkRows) {
      this.chunks.push({
        tiles: tileSteps?.(),
        first,
        init: kernelStep(buffers, init, { state: psi }),
        forward: kernelStep(buffers, forward, { ...tables, psi }),
        lambda: kernelStep(buffers, lambda, { psi, lam, upstream: this.upstream }),
        backward: kernelStep(buffers, backward, { ...tables, psi, lam, partials, param_of: paramOf }),
        sum: kernelStep(buffers, sum, { ops, partials, param_of: paramOf, grad_params: noParams, grad_features: noFeatures }),
        diagForward: kernelStep(buffers, diagForward, { ...tables, psi }),
        diagBackward: kernelStep(buffers, diagBackward, { ...tables, psi, lam }),
      });
    }
    await this.extras?.build(buffers, { psi, lam }, this.chunks.length);
    if (circuit.params > 0) this.reducer = await ColumnReducer.create(gpu, this.capacity, circuit.params);
  }

  /** The tile kernels, their plans and group-1 bind groups; returns a maker of one chunk's steps. */
  private async buildTiles(r: { ops: GPUBuffer; mats: GPUBuffer; trig: GPUBuffer; psi: GPUBuffer; lam: GPUBuffer; partials: GPUBuffer; paramOf: GPUBuffer; noParams: GPUBuffer; noFeatures: GPUBuffer }): Promise<() => TileSteps> {
    const { gpu, compiled, buffers } = this;
    const sweep = this.tileSweep!;
    const n = compiled.qubits;
    const real = compiled.real;
    const wg = this.reduction === 'workgroup';
    const tile = (bits: number, backward: boolean) =>
      getKernel(gpu, 'global_tile', { REAL: real, BACKWARD: backward, WG_REDUCE: backward && wg }, { QUBITS: n, TILE: bits, GROUP_SIZE: tileGroupSize(gpu, bits, backward && !wg) });
    const [forward, backward, sum] = await Promise.all([
      tile(sweep.forwardBits, false),
      tile(sweep.backwardBits, true),
      getKernel(gpu, 'global_tile_sum', { WG_REDUCE: wg }, { GROUP_SIZE, SEG: GROUP_SIZE }),
    ]);
    const forwardPlan = new TilePlan(gpu, buffers, compiled, sweep.forward, [], 'forward tile');
    const backwardPlan = new TilePlan(gpu, buffers, compiled, sweep.backward, this.hasGrad, 'backward tile');
    this.tileGroups = { forward: forwardPlan.groups(forward), backward: backwardPlan.groups(backward), sum: backwardPlan.groups(sum) };
    const tables = { ops: r.ops, mats: r.mats, trig: r.trig };
    return () => ({
      forward: kernelStep(buffers, forward, { ...tables, states: r.psi, tile_ops: forwardPlan.records }),
      backward: kernelStep(buffers, backward, { ...tables, states: r.psi, lambdas: r.lam, partials: r.partials, tile_ops: backwardPlan.records }),
      sum: kernelStep(buffers, sum, { ops: r.ops, tile_ops: backwardPlan.records, partials: r.partials, param_of: r.paramOf, grad_params: r.noParams, grad_features: r.noFeatures }),
    });
  }

  /** The upstream gradient dL/dout (rows x outputsPerRow f32): uploaded, or a GPU buffer read in place. */
  setUpstream(dLdOut: GPUBuffer | Float32Array): void {
    const buffer = upstreamBuffer(this.gpu, this.ownUpstream, this.capacity * this.outputsPerRow, dLdOut);
    if (buffer !== this.upstream) for (const c of this.chunks) c.lambda.rebind({ upstream: buffer });
    this.upstream = buffer;
  }

  /** Encodes the gradient of the rows last uploaded: every chunk, then the batch reduction. */
  encode(encoder: GPUCommandEncoder): void {
    const rows = this.rowsSet;
    if (rows === 0) throw new Error('GlobalGradientRunner.encode: call setFeatures first');
    const need = rows * this.outputsPerRow * 4;
    if (this.upstream.size < need) throw new QmoeInputError('dLdOut buffer size', this.upstream.size, `must hold rows x outputs x 4 = ${need} bytes`);
    const { circuit } = this;
    if (circuit.params > 0) encoder.clearBuffer(this.perSampleParamGrad, 0, rows * circuit.params * 4);
    if (this.featureGrad && circuit.features > 0) encoder.clearBuffer(this.featureGrad, 0, rows * circuit.features * 4);
    const pass = encoder.beginComputePass({ label: 'global adjoint gradient' });
    this.angles.encode(pass, rows * circuit.features);
    this.chunks.forEach((chunk, index) => {
      if (chunk.first < rows) this.encodeChunk(pass, chunk, Math.min(this.chunkRows, rows - chunk.first), index);
    });
    this.reducer?.encode(pass, this.perSampleParamGrad, rows, this.paramGrad);
    pass.end();
  }

  private encodeChunk(pass: GPUComputePassEncoder, c: ChunkSteps, rows: number, index: number): void {
    const { gpu, circuit, compiled } = this;
    const n = circuit.qubits;
    const dim = 2 ** n;
    const maxDim = gpu.limits.maxComputeWorkgroupsPerDimension;
    c.init.encode(pass, Math.ceil((rows * dim) / 256), { count: rows * dim, dim });
    const where = { index, first: c.first, rows };
    const extras = (g: number, backward: boolean) => {
      if (this.extras?.has(g)) this.extras.encode(pass, g, where, backward);
    };
    extras(-1, false);
    if (c.tiles) {
      this.encodeTileChunk(pass, c, c.tiles, rows, extras);
      return;
    }
    const pairs = grid(Math.ceil((rows * dim) / 2 / GROUP_SIZE), maxDim);
    const gateMeta = { rows, features: circuit.features, first_row: c.first, dmat_offset: derivativeOffset(compiled), want_features: this.featureGrad ? 1 : 0, groups_x: pairs[0] };
    // Each step's Meta is written by its first dispatch of this encode.
    const amps = grid(Math.ceil((rows * dim) / 256), maxDim);
    const diagMeta = { rows, features: circuit.features, first_row: c.first, groups_x: amps[0] };
    const first = { forward: true, backward: true, diagForward: true, diagBackward: true, sum: true };
    const once = <T>(key: keyof typeof first, meta: T): T | null => {
      if (!first[key]) return null;
      first[key] = false;
      return meta;
    };
    let run = 0;
    for (const segment of this.segments) {
      if ('op' in segment) {
        pass.setBindGroup(1, this.opGroups.forward[segment.op]);
        c.forward.encodeGrid(pass, pairs, once('forward', gateMeta));
        extras(segment.op, false);
      } else {
        pass.setBindGroup(1, this.opGroups.diagForward[run++]);
        c.diagForward.encodeGrid(pass, amps, once('diagForward', diagMeta));
      }
    }
    c.lambda.encode(pass, Math.ceil((rows * dim) / 256), { count: rows * dim, outputs: this.outputsPerRow, first_row: c.first });
    const perRow = grid(this.reduction === 'workgroup' ? rows : Math.ceil(rows / 64), maxDim);
    const sumMeta = {
      rows,
      blocks: blocksPerSample(n, this.reduction),
      params: circuit.params,
      features: circuit.features,
      first_row: c.first,
      groups_x: perRow[0],
    };
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const segment = this.segments[i];
      if (!('op' in segment)) {
        pass.setBindGroup(1, this.opGroups.diagBackward[--run]);
        c.diagBackward.encodeGrid(pass, amps, once('diagBackward', diagMeta));
        continue;
      }
      const g = segment.op;
      extras(g, true);
      pass.setBindGroup(1, this.opGroups.backward[g]);
      c.backward.encodeGrid(pass, pairs, once('backward', gateMeta));
      if (!this.hasGrad[g]) continue;
      pass.setBindGroup(1, this.opGroups.sum[g]);
      c.sum.encodeGrid(pass, perRow, once('sum', sumMeta));
    }
  }

  /**
   * A chunk's forward pass, lambda and backward sweep with tile fusion: each tile pass one dispatch
   * each way (and one stage-2 sum per backward pass with gradient columns), each single-op pass
   * the per-op kernels.
   */
  private encodeTileChunk(pass: GPUComputePassEncoder, c: ChunkSteps, t: TileSteps, rows: number, extras: (g: number, backward: boolean) => void): void {
    const { gpu, circuit, compiled } = this;
    const sweep = this.tileSweep!;
    const groups = this.tileGroups!;
    const n = circuit.qubits;
    const dim = 2 ** n;
    const maxDim = gpu.limits.maxComputeWorkgroupsPerDimension;
    const pairs = grid(Math.ceil((rows * dim) / 2 / GROUP_SIZE), maxDim);
    const gateMeta = { rows, features: circuit.features, first_row: c.first, dmat_offset: derivativeOffset(compiled), want_features: this.featureGrad ? 1 : 0, groups_x: pairs[0] };
    const forwardGrid = grid(rows * 2 ** (n - sweep.forwardBits), maxDim);
    const backwardGrid = grid(rows * 2 ** (n - sweep.backwardBits), maxDim);
    const tileMeta = (xy: [number, number]) => ({ rows, features: circuit.features, first_row: c.first, dmat_offset: derivativeOffset(compiled), blocks: sweep.blocks, groups_x: xy[0] });
    const perRow = grid(this.reduction === 'workgroup' ? rows : Math.ceil(rows / 64), maxDim);
    const sumMeta = { rows, blocks: sweep.blocks, params: circuit.params, features: circuit.features, first_row: c.first, groups_x: perRow[0] };
    const opSumMeta = { ...sumMeta, blocks: blocksPerSample(n, this.reduction) };
    // Each step's Meta is written by its first dispatch of this encode.
    const written = new Set<string>();
    const once = <T>(key: string, meta: T): T | null => (written.has(key) ? null : (written.add(key), meta));
    // The extra passes (noise) of a pass's last op: the fuser ends a pass at every op that has them.
    const lastOp = (p: FusedPass) => (p.kind === 'tile' ? p.ops[p.ops.length - 1] : p.op);
    sweep.forward.forEach((p, i) => {
      if (p.kind === 'tile') {
        pass.setBindGroup(1, groups.forward[i]!);
        t.forward.encodeGrid(pass, forwardGrid, once('tile forward', tileMeta(forwardGrid)));
      } else {
        pass.setBindGroup(1, this.opGroups.forward[p.op]);
        c.forward.encodeGrid(pass, pairs, once('forward', gateMeta));
      }
      extras(lastOp(p), false);
    });
    c.lambda.encode(pass, Math.ceil((rows * dim) / 256), { count: rows * dim, outputs: this.outputsPerRow, first_row: c.first });
    for (let i = sweep.backward.length - 1; i >= 0; i--) {
      const p = sweep.backward[i];
      extras(lastOp(p), true);
      if (p.kind === 'tile') {
        pass.setBindGroup(1, groups.backward[i]!);
        t.backward.encodeGrid(pass, backwardGrid, once('tile backward', tileMeta(backwardGrid)));
        if (p.grads === 0) continue;
        pass.setBindGroup(1, groups.sum[i]!);
        t.sum.encodeGrid(pass, perRow, once('tile sum', sumMeta));
        continue;
      }
      pass.setBindGroup(1, this.opGroups.backward[p.op]);
      c.backward.encodeGrid(pass, pairs, once('backward', gateMeta));
      if (!this.hasGrad[p.op]) continue;
      pass.setBindGroup(1, this.opGroups.sum[p.op]);
      c.sum.encodeGrid(pass, perRow, once('sum', opSumMeta));
    }
  }

  /** Dispatches over the states per chunk: forward passes, backward passes, stage-2 sums (benchmarks). */
  passCounts(): { forward: number; backward: number; sums: number } {
    if (this.tileSweep) {
      const { forward, backward } = this.tileSweep;
      const sums = backward.filter((p) => (p.kind === 'tile' ? p.grads > 0 : this.hasGrad[p.op])).length;
      return { forward: forward.length, backward: backward.length, sums };
    }
    return { forward: this.segments.length, backward: this.segments.length, sums: this.hasGrad.filter(Boolean).length };
  }

}

/** Which adjoint kernel computes a gradient: two states per sample in workgroup memory, or in storage buffers. */
export type AdjointPath = 'workgroup' | 'global';

/** Either adjoint runner: the same setFeatures / setParams / setUpstream / encode interface. */
export type AnyGradientRunner = GradientRunner | GlobalGradientRunner;

/**
 * The adjoint path of an n-qubit circuit: 'auto' takes the workgroup kernel when its two states
 * fit in workgroup memory, else the global one. A forced path that cannot hold the circuit throws
 * the QmoeInputError naming the limit.
 */
export function chooseAdjointPath(gpu: GpuContext, qubits: number, real: boolean, path: 'auto' | AdjointPath = 'auto'): AdjointPath {
  if (path === 'workgroup') {
    checkAdjointFits(gpu, qubits, real);
    return 'workgroup';
  }
  if (path === 'auto' && adjointShape(gpu, qubits, real) !== null) return 'workgroup';
  checkGlobalAdjointFits(gpu, qubits, real);
  return 'global';
}

export interface AdjointRunnerOptions extends GlobalGradientOptions {
  /** Where the states live: 'workgroup' (two per sample in workgroup memory or a subgroup's registers) or 'global'. */
  path?: 'auto' | AdjointPath;
  /** On the workgroup path: its kernel (GradientRunnerOptions.path) and the subgroup kernel's lanes. */
  kernel?: GradientRunnerOptions['path'];
  subgroup?: GradientRunnerOptions['subgroup'];
}

/** The adjoint gradient runner of the path chooseAdjointPath picks. */
export function createGradientRunner(gpu: GpuContext, circuit: Circuit, capacity: number, output: CircuitOutput, options: AdjointRunnerOptions = {}): Promise<AnyGradientRunner> {
  validateCircuit(circuit);
  const real = compileCircuit(circuit, options.forceComplex === true).real;
  if (chooseAdjointPath(gpu, circuit.qubits, real, options.path) === 'workgroup') {
    return GradientRunner.create(gpu, circuit, capacity, output, { features: options.features, forceComplex: options.forceComplex, path: options.kernel, subgroup: options.subgroup });
  }
  return GlobalGradientRunner.create(gpu, circuit, capacity, output, options);
}
