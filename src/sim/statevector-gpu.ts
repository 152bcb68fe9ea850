import { QmoeGpuMemoryError } from '../errors.js';
import { AnglesStep } from '../gpu/angles.js';
import { BufferSet } from '../gpu/buffer-set.js';
import { checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { getKernel, grid, kernelStep, submitEncoded } from '../gpu/kernel.js';
import { KERNELS } from '../gpu/kernels.js';
import { UniformTable } from '../gpu/uniform-table.js';
import { isSoftwareAdapter } from '../gpu/software-adapter.js';
import { CircuitInputs } from './circuit-inputs-gpu.js';
import { type CompiledCircuit, matrixTable } from './compile.js';
import { expertBounds } from './experts.js';
import { subgroupShape, type SubgroupTuning } from './subgroup-gpu.js';
import { fuseTiles, type FusedPass } from './fuse.js';
import { type GlobalFusion, TilePlan, defaultFusion, tileBits, tileGroupSize } from './tile-passes-gpu.js';

/** What a runner leaves in its output buffer per row. */
export type RunnerOutput = { kind: 'probabilities' } | { kind: 'experts'; experts: number } | { kind: 'expectZ' } | { kind: 'states' };

/**
 * Which kernels run the circuit: states in the registers of a subgroup (the `subgroups` feature),
 * the fused workgroup kernel, or one global-memory pass per gate.
 */
export type KernelPath = 'subgroup' | 'fused' | 'global';

/** Tuning of the fused kernel's workgroups (benchmarks); the defaults suit the GPUs measured. */
export interface FusedTuning {
  /**
   * Invocations per sample (a power of two). Default 2^n / 8, one per 8-amplitude cube: fastest
   * on the H200 for n = 2 to 12 (bench/RESULTS.md), several samples per workgroup for small n.
   */
  threadsPerSample?: number;
  /** Invocations per workgroup (default 64 to 256). */
  groupSize?: number;
  /** Group commuting gates into passes (src/sim/passes.ts; default true); false: one barrier per gate. */
  grouping?: boolean;
}

/** Tuning of the global path (states in storage buffers). */
export interface GlobalTuning {
  /**
   * 'tiles': runs of ops fused into passes through workgroup-memory tiles (src/sim/fuse.ts);
   * 'none' (and 'diagonal', which the forward runner has no pass for): one dispatch per op.
   * Default: defaultFusion of the adapter.
   */
  globalFusion?: GlobalFusion;
  /** Tile bits (default: the most the adapter's workgroup memory holds). */
  tileBits?: number;
  /**
   * Stage 1 of the measurement of states over 10 qubits (shaders/measure_chunks.wgsl): a workgroup
   * per chunk of 1024 basis states, or an invocation per chunk (no barrier); 'single': no stage 1,
   * one invocation sums a whole output. Default: per workgroup on a GPU, per invocation on a
   * software adapter (SwiftShader, where a barrier costs about 10x; `npm run bench -- --only
   * measure` there, against 'single': 2.2-3.1x faster for <Z>, 0.7-1.45x for expert blocks).
   */
  measureReduction?: 'workgroup' | 'invocation' | 'single';
}

/** Tuning of the kernels: the fused kernel's, the subgroup kernel's and the global path's. */
export type CircuitTuning = FusedTuning & SubgroupTuning & GlobalTuning;

/** Workgroup shape of the fused kernel for an n-qubit state, or null when a state does not fit. */
export function fusedShape(gpu: GpuContext, qubits: number, real: boolean, tuning: FusedTuning = {}): { groupSize: number; samplesPerGroup: number } | null {
  const dim = 2 ** qubits;
  const ampBytes = real ? 4 : 8;
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  if (dim * ampBytes > storage) return null;
  const maxThreads = Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX);
  const perSample = Math.max(1, Math.min(tuning.threadsPerSample ?? dim / 8, dim / 2));
  const groupSize = Math.min(maxThreads, tuning.groupSize ?? Math.max(64, perSample));
  const samplesPerGroup = Math.max(1, Math.min(Math.floor(groupSize / perSample), Math.floor(storage / (dim * ampBytes))));
  return { groupSize, samplesPerGroup };
}

/** Largest state the global path holds: bytes of one storage binding. */
export function maxBindingBytes(gpu: GpuContext): number {
  return Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
}

/**
 * The largest n (at most `maxQubits`) whose one-row state buffer of the global path (2^n amplitudes,
 * real or complex) this device actually allocates: the binding limit first, then real allocations,
 * largest first (each freed at once). What `qmoe doctor` reports.
 */
export async function probeGlobalQubits(gpu: GpuContext, real: boolean, maxQubits: number): Promise<number> {
  const amp = real ? 4 : 8;
  for (let n = Math.min(maxQubits, Math.floor(Math.log2(maxBindingBytes(gpu) / amp))); n >= 1; n--) {
    const set = new BufferSet(gpu, 'the doctor\'s probe');
    try {
      set.storage(`${n}-qubit state`, 2 ** n * amp);
      await set.ready();
      return n;
    } catch (e) {
      if (!(e instanceof QmoeGpuMemoryError)) throw e;
    } finally {
      set.destroy();
    }
  }
  return 0;
}

/**
 * A circuit prepared on the GPU for up to `capacity` rows: buffers, pipelines and bind groups are
 * made once, so repeated runs (benchmarks, training) only upload inputs and dispatch. create()
 * fails with a QmoeGpuMemoryError when a buffer cannot be allocated.
 */
/** log2 of the chunks of shaders/measure_chunks.wgsl (1024 basis states): states above this many qubits are measured in two stages. */
const MEASURE_CHUNK_BITS = 10;

export class CircuitRunner extends CircuitInputs {
  readonly outputsPerRow: number;
  /** The buffer the output is left in: f32 per output, or amplitudes for `states`. */
  readonly output: GPUBuffer;
  readonly outputBytesPerRow: number;
  private readonly steps: ((pass: GPUComputePassEncoder, rows: number) => void)[] = [];
  /** Global path: its passes over the states (one per op, or fused tile passes). */
  passes: readonly FusedPass[] = [];

  private constructor(
    gpu: GpuContext,
    readonly compiled: CompiledCircuit,
    capacity: number,
    readonly kind: RunnerOutput,
    readonly path: KernelPath,
    private readonly tuning: CircuitTuning,
    buffers: BufferSet,
  ) {
    super(gpu, capacity, compiled.features, buffers, { label: 'matrices', bytes: matrixTable(compiled, undefined).byteLength });
    const dim = 2 ** compiled.qubits;
    const ampBytes = compiled.real ? 4 : 8;
    this.outputsPerRow = kind.kind === 'experts' ? kind.experts : kind.kind === 'expectZ' ? compiled.qubits : dim;
    if (kind.kind === 'states') {
      this.outputBytesPerRow = dim * ampBytes;
      this.output = path === 'global' ? this.buffers.storage('states', capacity * dim * ampBytes) : (undefined as never);
    } else {
      this.outputBytesPerRow = this.outputsPerRow * 4;
      this.output = this.buffers.storage('outputs', capacity * this.outputsPerRow * 4);
    }
  }

  /** Prepares `compiled` for batches of up to `capacity` rows. */
  static async create(gpu: GpuContext, compiled: CompiledCircuit, capacity: number, kind: RunnerOutput, path: KernelPath, tuning: CircuitTuning = {}): Promise<CircuitRunner> {
    if (kind.kind === 'states' && path !== 'global') throw new Error('states need the global path');
    checkDevice(gpu);
    const buffers = new BufferSet(gpu, `the ${path} circuit runner (${compiled.qubits} qubits, ${capacity} row${capacity === 1 ? '' : 's'})`);
    return buffers.settle(async () => {
      const runner = new CircuitRunner(gpu, compiled, capacity, kind, path, tuning, buffers);
      await runner.build();
      return runner;
    });
  }

  protected table(params: ArrayLike<number> | undefined): Float32Array {
    return matrixTable(this.compiled, params);
  }

  private async build(): Promise<void> {
    const { gpu, compiled, capacity, buffers } = this;
    const dim = 2 ** compiled.qubits;
    const real = compiled.real;
    const numOps = compiled.ops.length / 4;
    const ops = buffers.storageOf('ops', compiled.ops);
    const bounds = buffers.storageOf('bounds', this.kind.kind === 'experts' ? expertBounds(dim, this.kind.experts) : new Uint32Array([0, dim]));
    const angles = await AnglesStep.create(buffers, this.featuresBuf, capacity * compiled.features);
    this.steps.push((pass, rows) => angles.encode(pass, rows * compiled.features));
    const tables = { ops, mats: this.matsBuf, trig: angles.trig };

    if (this.path === 'subgroup') {
      const shape = subgroupShape(gpu, compiled.qubits, this.tuning);
      if (!shape) throw new Error(`CircuitRunner: ${compiled.qubits} qubits do not fit the subgroup kernel`);
      const kernel = await getKernel(gpu, 'subgroup_statevector', { REAL: real }, {
        QUBITS: compiled.qubits,
        LANES: shape.lanes,
        GROUP_SIZE: shape.groupSize,
        ...(this.kind.kind === 'expectZ' ? { EXPECT_Z: 1 } : {}),
      });
      const plan = compiled.fused;
      const step = kernelStep(buffers, kernel, { ...tables, ops: buffers.storageOf('fused ops', plan.ops), out: this.output, bounds, passes: buffers.storageOf('passes', plan.passes) });
      const numPasses = plan.passes.length / 4;
      this.steps.push((pass, rows) => step.encode(pass, Math.ceil(rows / shape.samplesPerGroup), { rows, features: compiled.features, num_ops: numPasses, outputs: this.outputsPerRow }));
      return;
    }
    if (this.path === 'fused') {
      const shape = fusedShape(gpu, compiled.qubits, real, this.tuning)!;
      const kernel = await getKernel(gpu, 'statevector', { REAL: real, FUSED: true }, {
        QUBITS: compiled.qubits,
        GROUP_SIZE: shape.groupSize,
        SAMPLES_PER_GROUP: shape.samplesPerGroup,
        ...(this.kind.kind === 'expectZ' ? { EXPECT_Z: 1 } : {}),
      });
      const plan = this.tuning.grouping === false ? compiled.fusedSingle : compiled.fused;
      const passes = buffers.storageOf('passes', plan.passes);
      const step = kernelStep(buffers, kernel, { ...tables, ops: buffers.storageOf('fused ops', plan.ops), out: this.output, bounds, passes });
      const numPasses = plan.passes.length / 4;
      this.steps.push((pass, rows) => step.encode(pass, Math.ceil(rows / shape.samplesPerGroup), { rows, features: compiled.features, num_ops: numPasses, outputs: this.outputsPerRow }));
      return;
    }

    const state = this.kind.kind === 'states' ? this.output : buffers.storage('states', capacity * dim * (real ? 4 : 8));
    const init = kernelStep(buffers, await getKernel(gpu, 'init_state', { REAL: real }), { state });
    this.steps.push((pass, rows) => init.encode(pass, Math.ceil((rows * dim) / 256), { count: rows * dim, dim }));
    if (numOps > 0) {
      const kernel = await getKernel(gpu, 'statevector', { REAL: real, FUSED: false }, { QUBITS: compiled.qubits });
      const apply = kernelStep(buffers, kernel, { ...tables, state });
      // One OpIndex per op, so a single pass holds every dispatch.
      const opGroups = new UniformTable(gpu, buffers, 'op indices', KERNELS.statevector.structs.OpIndex, Array.from({ length: numOps }, (_, g) => ({ index: g }))).groups(kernel);
      const fusion = this.tuning.globalFusion ?? defaultFusion(gpu);
      const bits = tileBits(gpu, compiled.qubits, real, 'forward', false, this.tuning.tileBits);
      this.passes = fusion === 'tiles' ? fuseTiles(compiled, bits) : opGroups.map((_, op) => ({ kind: 'op' as const, op }));
      let encodeTiles: ((pass: GPUComputePassEncoder, i: number, rows: number, first: boolean) => void) | null = null;
      if (this.passes.some((p) => p.kind === 'tile')) {
        const plan = new TilePlan(gpu, buffers, compiled, this.passes);
        const tileKernel = await getKernel(gpu, 'global_tile', { REAL: real, BACKWARD: false, WG_REDUCE: false }, { QUBITS: compiled.qubits, TILE: bits, GROUP_SIZE: tileGroupSize(gpu, bits) });
        const tileStep = kernelStep(buffers, tileKernel, { ...tables, states: state, tile_ops: plan.records });
        const tileGroups = plan.groups(tileKernel);
        encodeTiles = (pass, i, rows, first) => {
          const xy = grid(rows * 2 ** (compiled.qubits - bits), gpu.limits.maxComputeWorkgroupsPerDimension);
          pass.setBindGroup(1, tileGroups[i]!);
          tileStep.encodeGrid(pass, xy, first ? { rows, features: compiled.features, first_row: 0, dmat_offset: 0, blocks: 0, groups_x: xy[0] } : null);
        };
      }
      this.steps.push((pass, rows) => {
        const [x, y] = grid(Math.ceil((rows * dim) / 2 / 256), gpu.limits.maxComputeWorkgroupsPerDimension);
        // Each step's first dispatch writes its Meta; the others reuse it.
        let firstOp = true;
        let firstTile = true;
        this.passes.forEach((p, i) => {
          if (p.kind === 'tile') {
            encodeTiles!(pass, i, rows, firstTile);
            firstTile = false;
            return;
          }
          pass.setBindGroup(1, opGroups[p.op]);
          apply.encodeGrid(pass, [x, y], firstOp ? { rows, features: compiled.features, num_ops: numOps, outputs: this.outputsPerRow, groups_x: x } : null);
          firstOp = false;
        });
      });
    }
    if (this.kind.kind === 'states') return;
    const full = this.kind.kind === 'probabilities';
    const expectZ = this.kind.kind === 'expectZ';
    // Large states: chunk sums first (every invocation busy), then each output adds dim / 1024 of them.
    const reduction = this.tuning.measureReduction ?? (isSoftwareAdapter(gpu) ? 'invocation' : 'workgroup');
    const chunked = !full && compiled.qubits > MEASURE_CHUNK_BITS && reduction !== 'single';
    const perRow = chunked ? dim >> MEASURE_CHUNK_BITS : 0;
    const chunks = chunked ? buffers.storage('measurement chunk sums', capacity * perRow * (expectZ ? MEASURE_CHUNK_BITS + 1 : 1) * 4) : buffers.storage('no chunk sums', 16);
    if (chunked) {
      const wg = reduction === 'workgroup';
      const stage1 = kernelStep(buffers, await getKernel(gpu, 'measure_chunks', { REAL: real, WG_REDUCE: wg }, expectZ ? { EXPECT_Z: 1 } : {}), { state, chunks });
      this.steps.push((pass, rows) => stage1.encode(pass, wg ? rows * perRow : Math.ceil((rows * perRow) / 256), { count: rows * perRow }));
    }
    const constants = { ...(expectZ ? { EXPECT_Z: 1 } : {}), ...(chunked ? { CHUNKED: 1 } : {}) };
    const measure = kernelStep(buffers, await getKernel(gpu, 'measure', { REAL: real, FULL: full }, constants), { state, bounds, out: this.output, chunks });
    this.steps.push((pass, rows) => {
      const count = rows * this.outputsPerRow;
      measure.encode(pass, Math.ceil(count / 256), { count, outputs: this.outputsPerRow, dim });
    });
  }

  /** Encodes the whole circuit for the rows last uploaded into `encoder`. */
  encode(encoder: GPUCommandEncoder): void {
    if (this.rowsSet === 0) throw new Error('CircuitRunner.encode: call setFeatures first');
    const pass = encoder.beginComputePass({ label: `circuit ${this.path}` });
    for (const step of this.steps) step(pass, this.rowsSet);
    pass.end();
  }

  /** Runs encode in its own command buffer (submits; does not wait). */
  dispatch(): void {
    submitEncoded(this.gpu, (encoder) => this.encode(encoder));
  }

  destroy(): void {
    this.buffers.destroy();
  }
}
