import { QmoeInputError, checkFiniteResult, checkFloat32Range } from '../errors.js';
import { AnglesStep } from '../gpu/angles.js';
import { BufferSet } from '../gpu/buffer-set.js';
import { GpuCall } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { allocateSplitting } from '../gpu/split.js';
import type { BatchInput } from '../sim/backend.js';
import { checkGpuInput } from '../sim/input.js';
import { type CompiledNoise, noiseMatrixTable } from './compile.js';
import type { NoiseSchedule } from './model.js';
import { type TrajectoryOptions, validateTrajectoryOptions } from './trajectories-cpu.js';

export interface NoiseGpuOptions {
  /** Largest GPU memory one chunk of a batch may use (default 256 MiB); larger batches are split. */
  maxChunkBytes?: number;
  /**
   * Density matrices and trajectories: 'auto' (the fused kernel while rho, or one trajectory
   * state, fits in workgroup memory), 'fused' (workgroup memory) or 'global' (storage buffers);
   * density matrices also 'spread' (storage buffers, each op one dispatch over many workgroups:
   * what 'auto' takes beyond workgroup memory; 'global' is one workgroup per sample).
   */
  path?: 'auto' | 'fused' | 'global' | 'spread';
  /** Trajectories: 'auto' runs real-only kernels when every gate is real; 'never' keeps complex ones. */
  real?: 'auto' | 'never';
}

export const DEFAULT_MAX_CHUNK_BYTES = 256 * 2 ** 20;

/** Invocations per workgroup the noise kernels may use. */
export function noiseThreads(gpu: GpuContext): number {
  return Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX);
}

/**
 * What every noise kernel reads, in a runner's BufferSet: the op table, the matrix table
 * (re-uploaded per parameter set), the features of up to `capacity` rows and their angles.
 */
export class NoiseTables {
  private constructor(
    private readonly gpu: GpuContext,
    readonly compiled: CompiledNoise,
    readonly capacity: number,
    readonly ops: GPUBuffer,
    readonly mats: GPUBuffer,
    readonly features: GPUBuffer,
    readonly angles: AnglesStep,
  ) {}

  static async create(set: BufferSet, compiled: CompiledNoise, matsBytes: number, capacity: number): Promise<NoiseTables> {
    const F = compiled.features;
    const features = set.storage('noise features', capacity * F * 4);
    const angles = await AnglesStep.create(set, features, capacity * F, 'noise trig');
    return new NoiseTables(set.gpu, compiled, capacity, set.storageOf('noise ops', compiled.ops), set.storage('noise matrices', matsBytes), features, angles);
  }

  /** The bindings of the circuit tables (shaders/lib/gates.wgsl). */
  get bindings(): { ops: GPUBuffer; mats: GPUBuffer; trig: GPUBuffer } {
    return { ops: this.ops, mats: this.mats, trig: this.angles.trig };
  }

  setMatrices(table: Float32Array): void {
    this.gpu.device.queue.writeBuffer(this.mats, 0, table);
  }

  /** Uploads `rows` rows of `features` starting at row `start`. */
  setFeatures(features: Float32Array, start: number, rows: number): void {
    const F = this.compiled.features;
    if (F > 0) this.gpu.device.queue.writeBuffer(this.features, 0, features, start * F, rows * F);
  }

  /** Encodes the angles of `rows` uploaded rows. */
  encodeAngles(pass: GPUComputePassEncoder, rows: number): void {
    this.angles.encode(pass, rows * this.compiled.features);
  }
}

/** A prepared noisy-probabilities kernel (density matrices or trajectories) for up to `capacity` rows. */
export interface ProbabilityRunner {
  readonly capacity: number;
  readonly qubits: number;
  /** Uploads the gate matrices of `params`. */
  setParams(params: ArrayLike<number> | undefined): void;
  /**
   * Runs rows [start, start + rows) of `features` (all rows' features, f32) and reads back their
   * rows x 2^n probabilities (`start` is also the rows' offset for the trajectories' draws).
   */
  run(call: GpuCall, features: Float32Array, start: number, rows: number): Promise<Float32Array>;
  destroy(): void;
}

/** What a noisy-probabilities runner holds besides its kernel: tables, the probabilities and their readback. */
export interface ProbabilityParts {
  schedule: NoiseSchedule;
  compiled: CompiledNoise;
  capacity: number;
  buffers: BufferSet;
  tables: NoiseTables;
  out: GPUBuffer;
  staging: GPUBuffer;
}

/** The parts of a probability runner in a new BufferSet named `owner` (destroyed here on failure). */
export async function probabilityParts(gpu: GpuContext, schedule: NoiseSchedule, compiled: CompiledNoise, capacity: number, owner: string): Promise<ProbabilityParts> {
  const buffers = new BufferSet(gpu, owner);
  try {
    const tables = await NoiseTables.create(buffers, compiled, noiseMatrixTable(schedule, compiled, undefined).byteLength, capacity);
    const outBytes = capacity * 2 ** compiled.qubits * 4;
    return { schedule, compiled, capacity, buffers, tables, out: buffers.storage('noise probabilities', outBytes), staging: buffers.readback('noise probabilities readback', outBytes) };
  } catch (e) {
    buffers.destroy();
    throw e;
  }
}

/** The shared half of the density and trajectories runners: uploads, one submission per chunk, readback. */
export abstract class NoiseProbabilityRunner implements ProbabilityRunner {
  readonly qubits: number;
  readonly capacity: number;

  protected constructor(protected readonly parts: ProbabilityParts) {
    this.qubits = parts.compiled.qubits;
    this.capacity = parts.capacity;
  }

  /** Encodes the kernel for `rows` uploaded rows that start at row `start` of the batch. */
  protected abstract encodeKernel(pass: GPUComputePassEncoder, start: number, rows: number): void;

  setParams(params: ArrayLike<number> | undefined): void {
    const { tables, schedule, compiled } = this.parts;
    tables.setMatrices(noiseMatrixTable(schedule, compiled, params));
  }

  async run(call: GpuCall, features: Float32Array, start: number, rows: number): Promise<Float32Array> {
    if (rows < 1 || rows > this.capacity) throw new QmoeInputError('rows', rows, `must be from 1 to the runner's capacity ${this.capacity}`);
    const { tables, out, staging } = this.parts;
    tables.setFeatures(features, start, rows);
    const encoder = call.gpu.device.createCommandEncoder({ label: 'noisy probabilities' });
    const pass = encoder.beginComputePass({ label: 'noisy probabilities' });
    tables.encodeAngles(pass, rows);
    this.encodeKernel(pass, start, rows);
    pass.end();
    call.submit(encoder);
    return call.read(out, rows * 2 ** this.qubits * 4, staging);
  }

  destroy(): void {
    this.parts.buffers.destroy();
  }
}

/** The trajectory counters of a runner made for T trajectories per row. */
export class TrajectoryDraws {
  private current: Required<TrajectoryOptions>;

  constructor(readonly trajectories: number) {
    this.current = { trajectories, seed: 0, step: 0, firstSample: 0 };
  }

  /** The counters of the next runs (their `trajectories` must be the runner's). */
  set(options: TrajectoryOptions): void {
    const o = validateTrajectoryOptions(options);
    if (o.trajectories !== this.trajectories) throw new QmoeInputError('trajectories', o.trajectories, `this runner was made for ${this.trajectories}`);
    this.current = o;
  }

  /** The Meta fields of a dispatch whose row 0 is row `start` of the batch. */
  meta(start: number): { trajectories: number; seed: number; step: number; first_sample: number } {
    const o = this.current;
    return { trajectories: o.trajectories, seed: o.seed, step: o.step, first_sample: (o.firstSample + start) >>> 0 };
  }
}

/**
 * Noisy probabilities of a whole batch, rows x 2^n, through `runner` in chunks of its capacity
 * (a GpuCall checks every submission; NaN or infinity in the result is an error).
 */
export async function probabilitiesInChunks(gpu: GpuContext, runner: ProbabilityRunner, input: BatchInput, what: string): Promise<Float32Array> {
  const call = new GpuCall(gpu, what);
  const dim = 2 ** runner.qubits;
  const features = Float32Array.from(input.features ?? []);
  const result = new Float32Array(input.rows * dim);
  runner.setParams(input.params);
  for (let start = 0; start < input.rows; start += runner.capacity) {
    const rows = Math.min(runner.capacity, input.rows - start);
    result.set(await runner.run(call, features, start, rows), start * dim);
  }
  checkFiniteResult(what, result, dim);
  return result;
}

/**
 * A one-call helper: makes a runner for the batch (halving its rows while the GPU runs out of
 * memory), runs the batch in chunks and frees the runner.
 */
export async function probabilitiesOnce(
  gpu: GpuContext,
  rows: number,
  make: (capacity: number) => Promise<ProbabilityRunner>,
  input: BatchInput,
  what: string,
): Promise<Float32Array> {
  const { value: runner } = await allocateSplitting(rows, make);
  try {
    return await probabilitiesInChunks(gpu, runner, input, what);
  } finally {
    runner.destroy();
  }
}

/** The float32 range check of the noise paths' inputs (features, parameters and, given, dL/dout). */
export function checkNoiseGpuInput(circuit: Parameters<typeof checkGpuInput>[0], input: BatchInput, dLdOut?: ArrayLike<number>): void {
  checkGpuInput(circuit, input);
  if (dLdOut) checkFloat32Range(dLdOut, (i) => `dLdOut[${i}]`);
}
