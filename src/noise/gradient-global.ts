import { QmoeInputError, checkFiniteResult } from '../errors.js';
import { BufferSet } from '../gpu/buffer-set.js';
import { GpuCall, checkDevice, formatBytes } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { allocateSplitting } from '../gpu/split.js';
import { probabilityGradient } from '../sim/adjoint-cpu.js';
import { GlobalGradientRunner, type GlobalGradientOptions, defaultGlobalBudget, globalAdjointChunkRows } from '../sim/adjoint-global.js';
import type { BatchInput, CircuitOutput } from '../sim/backend.js';
import { outputCount } from '../sim/experts.js';
import { maxBindingBytes } from '../sim/statevector-gpu.js';
import { compileNoise } from './compile.js';
import { applyReadout } from './density-cpu.js';
import { checkNoisyGradient } from './gradient-cpu.js';
import type { NoiseSchedule } from './model.js';
import { GlobalPaulis } from './pauli-global.js';
import { checkNoiseGpuInput } from './runner-gpu.js';
import type { TrajectoryOptions } from './trajectories-cpu.js';

export interface GlobalNoisyGradientOptions {
  /** 'auto' runs real-only kernels when every gate is real; 'never' keeps complex ones. */
  real?: 'auto' | 'never';
  /** GPU memory for the trajectory states in flight (psi and lambda of a chunk), bytes; default defaultGlobalBudget. */
  budgetBytes?: number;
  /** Also dL/dfeatures per row. */
  features?: boolean;
  /** The global adjoint's fusion and tile bits (GlobalGradientOptions; default: the adapter's); a pass ends at every noise point. */
  fuse?: GlobalGradientOptions['fuse'];
  tileBits?: number;
}

/** Chunks of trajectory states one runner encodes at most (more samples run as further calls). */
const MAX_CHUNKS = 16;

/**
 * Most samples per GlobalNoisyGradientRunner: their T trajectory states in at most MAX_CHUNKS
 * chunks of the global adjoint (at least one sample), and every per-(sample, trajectory) buffer
 * within one storage binding. Throws the QmoeInputError naming the limit when one state, or the T
 * rows of one sample, cannot fit.
 */
export function globalNoisyGradientRows(gpu: GpuContext, schedule: NoiseSchedule, output: CircuitOutput, trajectories: number, options: GlobalNoisyGradientOptions = {}): number {
  const { circuit } = schedule;
  const real = compileNoise(schedule, 'threshold', options.real !== 'never').real;
  const chunkRows = globalAdjointChunkRows(gpu, circuit.qubits, real, options.budgetBytes ?? defaultGlobalBudget(gpu));
  const limit = maxBindingBytes(gpu);
  // Per trajectory row: its features, its gradient rows and its upstream row (readout error: dL/dp, 2^n wide).
  const upstream = schedule.readout > 0 ? 2 ** circuit.qubits : outputCount(circuit.qubits, output);
  const widest = 4 * Math.max(1, circuit.features, circuit.params, upstream);
  const T = trajectories;
  if (T * widest > limit) {
    throw new QmoeInputError('trajectories', T, `${T} trajectories x ${formatBytes(widest)} per trajectory row is over this adapter's storage binding limit of ${formatBytes(limit)}`);
  }
  const byChunks = Math.max(1, Math.floor((MAX_CHUNKS * chunkRows) / T));
  return Math.max(1, Math.min(byChunks, Math.floor(limit / (T * widest)), Math.floor(2 ** 26 / T)));
}

/**
 * The noise-aware gradient with its states in global memory (storage buffers), for circuits
 * whose states do not fit workgroup memory (shaders/noisy_adjoint.wgsl's limit). With the Paulis
 * drawn, each (sample, trajectory) pair is a unitary circuit: the global adjoint
 * (GlobalGradientRunner) runs every such pair as one row, the Paulis applied after their gates in
 * the forward pass and un-applied in the backward sweep (GlobalPaulis as its SweepExtras).
 * Prepared for up to `capacity` samples of T trajectories.
 */
export class GlobalNoisyGradientRunner {
  private readonly outputs: number;

  private constructor(
    private readonly schedule: NoiseSchedule,
    readonly output: CircuitOutput,
    readonly capacity: number,
    readonly trajectories: number,
    private readonly paulis: GlobalPaulis,
    private readonly runner: GlobalGradientRunner,
    private readonly buffers: BufferSet,
    private readonly staging: { params: GPUBuffer; features: GPUBuffer | null },
  ) {
    this.outputs = outputCount(schedule.circuit.qubits, output);
  }

  get draws() {
    return this.paulis.draws;
  }

  /** Rows (trajectory states) of one chunk of the underlying global adjoint. */
  get chunkRows(): number {
    return this.runner.chunkRows;
  }

  static async create(gpu: GpuContext, schedule: NoiseSchedule, output: CircuitOutput, capacity: number, trajectories: number, options: GlobalNoisyGradientOptions = {}): Promise<GlobalNoisyGradientRunner> {
    checkDevice(gpu);
    const { circuit } = schedule;
    const max = globalNoisyGradientRows(gpu, schedule, output, trajectories, options);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > max) throw new QmoeInputError('capacity', capacity, `must be an integer from 1 to ${max} on this adapter`);
    const features = options.features === true;
    if (circuit.params === 0 && !features) throw new QmoeInputError('circuit.params', 0, 'the noise-aware gradient runner needs trainable parameters (or features: true)');
    const compiled = compileNoise(schedule, 'threshold', options.real !== 'never');
    const T = trajectories;
    const paulis = new GlobalPaulis(schedule, compiled, T, true);
    const runnerOutput: CircuitOutput = schedule.readout > 0 ? { kind: 'probabilities' } : output;
    const runner = await GlobalGradientRunner.create(gpu, circuit, capacity * T, runnerOutput, {
      features,
      forceComplex: !compiled.real,
      budgetBytes: options.budgetBytes,
      fuse: options.fuse,
      tileBits: options.tileBits,
      extras: paulis,
    });
    const buffers = new BufferSet(gpu, `the global noise-aware gradient runner (${circuit.qubits} qubits, ${capacity} rows x ${T} trajectories)`);
    try {
      if (runner.compiled.real !== compiled.real) throw new Error('GlobalNoisyGradientRunner: the adjoint and the Pauli kernels disagree on real amplitudes');
      const staging = {
        params: buffers.readback('dL/dparams readback', Math.max(16, circuit.params * 4)),
        features: features ? buffers.readback('dL/dfeatures readback', Math.max(16, capacity * T * circuit.features * 4)) : null,
      };
      await buffers.ready();
      return new GlobalNoisyGradientRunner(schedule, output, capacity, T, paulis, runner, buffers, staging);
    } catch (e) {
      runner.destroy();
      buffers.destroy();
      throw e;
    }
  }

  setParams(params: ArrayLike<number> | undefined): void {
    this.runner.setParams(params);
  }

  /**
   * The gradient of samples [start, start + rows) (features and dL/dout of the whole batch, f32):
   * dL/dparams summed over those rows and over the trajectories, and (features) dL/dfeatures per
   * row summed over the trajectories (the caller divides by T).
   */
  async run(call: GpuCall, features: Float32Array, upstream: Float32Array, start: number, rows: number): Promise<{ params: Float32Array; features?: Float32Array }> {
    if (rows < 1 || rows > this.capacity) throw new QmoeInputError('rows', rows, `must be from 1 to the runner's capacity ${this.capacity}`);
    const { circuit } = this.schedule;
    const T = this.trajectories;
    const F = circuit.features;
    const expanded = new Float32Array(rows * T * F);
    for (let j = 0; j < rows; j++) {
      const row = features.subarray((start + j) * F, (start + j + 1) * F);
      for (let t = 0; t < T; t++) expanded.set(row, (j * T + t) * F);
    }
    this.runner.setFeatures(expanded, rows * T);
    this.runner.setUpstream(this.expandUpstream(upstream, start, rows));
    this.paulis.start = start;
    const encoder = call.gpu.device.createCommandEncoder({ label: 'global noise-aware gradient' });
    this.runner.encode(encoder);
    call.submit(encoder);
    const params = circuit.params > 0 ? await call.read(this.runner.paramGrad, circuit.params * 4, this.staging.params) : new Float32Array(0);
    if (!this.staging.features) return { params };
    const perTrajectory = await call.read(this.runner.featureGrad!, rows * T * F * 4, this.staging.features);
    const summed = new Float32Array(rows * F);
    for (let j = 0; j < rows; j++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) summed[j * F + f] += perTrajectory[(j * T + t) * F + f];
    return { params, features: summed };
  }

  /** Each sample's upstream row for its T trajectory rows; with readout error, R dL/dp (2^n wide: the map is symmetric). */
  private expandUpstream(upstream: Float32Array, start: number, rows: number): Float32Array {
    const { circuit, readout } = this.schedule;
    const T = this.trajectories;
    if (readout === 0) {
      const k = this.outputs;
      const out = new Float32Array(rows * T * k);
      for (let j = 0; j < rows; j++) {
        const row = upstream.subarray((start + j) * k, (start + j + 1) * k);
        for (let t = 0; t < T; t++) out.set(row, (j * T + t) * k);
      }
      return out;
    }
    const dim = 2 ** circuit.qubits;
    const w = new Float64Array(dim);
    const out = new Float32Array(rows * T * dim);
    for (let j = 0; j < rows; j++) {
      probabilityGradient(circuit.qubits, this.output, upstream, (start + j) * this.outputs, w);
      applyReadout(w, 0, circuit.qubits, readout);
      for (let t = 0; t < T; t++) out.set(w, (j * T + t) * dim);
    }
    return out;
  }

  destroy(): void {
    this.runner.destroy();
    this.buffers.destroy();
  }
}

/**
 * The noise-aware gradient of a whole batch through `runner` in chunks of its capacity, averaged
 * over its T trajectories (float64 sums of the f32 chunk sums); dL/dfeatures per row when the
 * runner was made with features.
 */
export async function globalNoisyGradientInChunks(gpu: GpuContext, runner: GlobalNoisyGradientRunner, input: BatchInput, dLdOut: ArrayLike<number>): Promise<{ params: Float64Array; features?: Float64Array }> {
  const call = new GpuCall(gpu, 'the noise-aware gradient (global memory)');
  const P = input.params?.length ?? 0;
  const params = new Float64Array(P);
  let features: Float64Array | undefined;
  const F = input.features ? input.features.length / input.rows : 0;
  const x = Float32Array.from(input.features ?? []);
  const up = Float32Array.from(dLdOut);
  runner.setParams(input.params);
  const T = runner.trajectories;
  for (let start = 0; start < input.rows; start += runner.capacity) {
    const rows = Math.min(runner.capacity, input.rows - start);
    const sum = await runner.run(call, x, up, start, rows);
    for (let i = 0; i < P; i++) params[i] += sum.params[i] / T;
    if (sum.features) {
      features ??= new Float64Array(input.rows * F);
      for (let i = 0; i < sum.features.length; i++) features[start * F + i] = sum.features[i] / T;
    }
  }
  checkFiniteResult('the noise-aware gradient', params);
  if (features) checkFiniteResult('the noise-aware feature gradient', features);
  return features ? { params, features } : { params };
}

/**
 * The noise-aware gradient by trajectories on the GPU's global-memory path (GlobalNoisyGradientRunner):
 * the same draws, and within f32 the same result, as noisyGradientCpu for the same counters.
 */
export async function noisyGradientGlobal(
  gpu: GpuContext,
  schedule: NoiseSchedule,
  input: BatchInput,
  output: CircuitOutput,
  dLdOut: ArrayLike<number>,
  options: TrajectoryOptions & GlobalNoisyGradientOptions,
): Promise<{ params: Float64Array; features?: Float64Array }> {
  const { circuit } = schedule;
  const { o } = checkNoisyGradient(schedule, input, output, dLdOut, options);
  if (options.real !== undefined && options.real !== 'auto' && options.real !== 'never') throw new QmoeInputError('options.real', options.real, "must be 'auto' or 'never'");
  checkNoiseGpuInput(circuit, input, dLdOut);
  checkDevice(gpu);
  if (circuit.params === 0 && !options.features) return { params: new Float64Array(0) };
  const rows = Math.min(input.rows, globalNoisyGradientRows(gpu, schedule, output, o.trajectories, options));
  const { value: runner } = await allocateSplitting(rows, (capacity) => GlobalNoisyGradientRunner.create(gpu, schedule, output, capacity, o.trajectories, options));
  try {
    runner.draws.set(o);
    return await globalNoisyGradientInChunks(gpu, runner, input, dLdOut);
  } finally {
    runner.destroy();
  }
}
