import { QmoeInputError, checkFiniteResult } from '../errors.js';
import { BufferSet } from '../gpu/buffer-set.js';
import { GpuCall, checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { type KernelStep, getKernel, kernelStep } from '../gpu/kernel.js';
import { NO_INDEX, OUTPUT_KIND } from '../gpu/op-codes.js';
import { allocateSplitting } from '../gpu/split.js';
import { derivativeMatrix } from '../sim/adjoint-cpu.js';
import type { BatchInput, CircuitOutput } from '../sim/backend.js';
import { outputCount } from '../sim/experts.js';
import { ColumnReducer } from '../gpu/reduce.js';
import { maxBindingBytes } from '../sim/statevector-gpu.js';
import { type CompiledNoise, compileNoise, noiseMatrixTable } from './compile.js';
import type { NoiseSchedule } from './model.js';
import { checkNoisyGradient } from './gradient-cpu.js';
import { noisyGradientGlobal } from './gradient-global.js';
import { type AdjointPath, checkGlobalAdjointFits } from '../sim/adjoint-global.js';
import { DEFAULT_MAX_CHUNK_BYTES, NoiseTables, TrajectoryDraws, checkNoiseGpuInput } from './runner-gpu.js';
import type { TrajectoryOptions } from './trajectories-cpu.js';

export interface NoisyGradientGpuOptions extends TrajectoryOptions {
  /** Largest GPU memory one chunk of the batch may use for its per-(row, trajectory) gradients (default 256 MiB). */
  maxChunkBytes?: number;
  /** 'auto' runs real-only kernels when every gate is real; 'never' keeps complex ones. */
  real?: 'auto' | 'never';
  /** 'auto': the workgroup kernel while two states fit workgroup memory, else global memory (gradient-global.ts). */
  path?: 'auto' | AdjointPath;
  /** Also dL/dfeatures per row (rows x features, the trajectory mean). */
  features?: boolean;
}

/**
 * The noise-aware adjoint's path for an n-qubit circuit: 'auto' takes shaders/noisy_adjoint.wgsl
 * while its states fit workgroup memory, else the global-memory runner. A path that cannot hold
 * the circuit throws the QmoeInputError naming the limit.
 */
export function chooseNoisyGradientPath(gpu: GpuContext, qubits: number, real: boolean, path: 'auto' | AdjointPath = 'auto'): AdjointPath {
  if (path !== 'auto' && path !== 'workgroup' && path !== 'global') throw new QmoeInputError('path', path, "must be 'auto', 'workgroup' or 'global'");
  if (path === 'workgroup') {
    noisyAdjointShape(gpu, qubits, real);
    return 'workgroup';
  }
  if (path === 'auto') {
    try {
      noisyAdjointShape(gpu, qubits, real);
      return 'workgroup';
    } catch (e) {
      if (!(e instanceof QmoeInputError)) throw e;
    }
  }
  checkGlobalAdjointFits(gpu, qubits, real);
  return 'global';
}

/** Workgroup shape of shaders/noisy_adjoint.wgsl: one (sample, trajectory) pair per workgroup. */
export function noisyAdjointShape(gpu: GpuContext, qubits: number, real: boolean): { groupSize: number; seg: number } {
  const dim = 2 ** qubits;
  const amp = real ? 4 : 8;
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  const maxThreads = Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX);
  const pairs = Math.max(1, dim / 2);
  const groupSize = Math.min(maxThreads, Math.max(32, pairs));
  // psi and lambda, the dL/dp weights, the reduction scratch.
  const bytes = (n: number, g: number) => 2 * 2 ** n * amp + 2 ** n * 4 + g * 4;
  if (bytes(qubits, groupSize) > storage) {
    let max = 0;
    while (max < 30 && bytes(max + 1, maxThreads) <= storage) max++;
    throw new QmoeInputError(
      'circuit.qubits',
      qubits,
      `the noise-aware adjoint kernel holds two ${real ? 'real' : 'complex'} states and the weights in workgroup memory (${storage} bytes on this adapter): at most ${max} qubits`,
    );
  }
  return { groupSize, seg: Math.min(pairs, groupSize) };
}

/**
 * The gate matrices followed by the derivatives dU/dtheta of the trainable ones (zeros for the
 * others), float64 rounded to f32, in noiseMatrixTable's layout; and per matrix its parameter.
 */
function gradientTables(schedule: NoiseSchedule, compiled: CompiledNoise, params: ArrayLike<number> | undefined): { mats: Float32Array; paramOf: Uint32Array; dmatOffset: number } {
  const width = compiled.real ? 4 : 8;
  const count = Math.max(1, compiled.matrixOps.length);
  const mats = new Float32Array(2 * count * width);
  mats.set(noiseMatrixTable(schedule, compiled, params), 0);
  const paramOf = new Uint32Array(count).fill(NO_INDEX);
  compiled.matrixOps.forEach((g, i) => {
    const op = schedule.circuit.ops[g];
    if (op.angle?.kind !== 'param') return;
    paramOf[i] = op.angle.index;
    const d = derivativeMatrix(op.gate, params?.[op.angle.index] ?? 0);
    if (compiled.real) mats.set([d[0], d[2], d[4], d[6]], (count + i) * 4);
    else mats.set(d, (count + i) * 8);
  });
  return { mats, paramOf, dmatOffset: count };
}

/** Most rows per chunk of the noise-aware gradient with T trajectories (at least 1); throws for T beyond the adapter. */
export function noisyGradientChunkRows(gpu: GpuContext, schedule: NoiseSchedule, output: CircuitOutput, trajectories: number, maxChunkBytes = DEFAULT_MAX_CHUNK_BYTES, features = false): number {
  const { circuit } = schedule;
  const P = Math.max(1, circuit.params);
  const F = circuit.features;
  const T = trajectories;
  // Bytes per row of the per-trajectory gradients: the parameters', and the features' when asked.
  const perRow = T * (P + (features ? F : 0)) * 4;
  const widest = T * Math.max(P, features ? F : 0) * 4;
  const outputs = outputCount(circuit.qubits, output);
  const limit = maxBindingBytes(gpu);
  const maxDim = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (widest > limit) {
    throw new QmoeInputError('trajectories', T, `trajectories x ${features && F > P ? 'features' : 'params'} x 4 = ${widest} bytes of per-trajectory gradients is over this adapter's storage binding limit of ${limit} bytes`);
  }
  if (T > maxDim * maxDim) throw new QmoeInputError('trajectories', T, `at most ${maxDim * maxDim} trajectories per row on this adapter`);
  const chunk = Math.floor(maxChunkBytes / (perRow + F * 12 + outputs * 4));
  return Math.max(1, Math.min(chunk, Math.floor(limit / widest), F > 0 ? Math.floor(limit / (F * 8)) : chunk, Math.floor(limit / (outputs * 4)), Math.floor((maxDim * maxDim) / T)));
}

/**
 * The noise-aware adjoint gradient (shaders/noisy_adjoint.wgsl) prepared for up to `capacity`
 * rows of T trajectories each: buffers, pipelines, bind groups and the batch reduction are made
 * once (NoisyBackend keeps one across training steps). Parameter gradients, summed over the rows
 * on the GPU; with `features`, also dL/dfeatures per (row, trajectory), summed over the
 * trajectories on the host.
 */
export class NoisyGradientRunner {
  private readonly outputs: number;
  readonly draws: TrajectoryDraws;

  private constructor(
    private readonly schedule: NoiseSchedule,
    private readonly compiled: CompiledNoise,
    readonly output: CircuitOutput,
    readonly capacity: number,
    readonly trajectories: number,
    private readonly buffers: BufferSet,
    private readonly tables: NoiseTables,
    private readonly upstream: GPUBuffer,
    private readonly perTrajectory: GPUBuffer,
    private readonly sum: GPUBuffer,
    private readonly staging: GPUBuffer,
    private readonly step: KernelStep<'noisy_adjoint'>,
    private readonly reducer: ColumnReducer | null,
    /** dL/dfeatures per (row, trajectory) and its readback, with `features` (and features to differentiate). */
    private readonly featureGrad: { buffer: GPUBuffer; staging: GPUBuffer } | null,
    /** Whether run() gives dL/dfeatures (empty for a circuit without features). */
    readonly withFeatures: boolean,
  ) {
    this.outputs = outputCount(schedule.circuit.qubits, output);
    this.draws = new TrajectoryDraws(trajectories);
  }

  /**
   * Prepares `schedule` for gradients of up to `capacity` rows (at most noisyGradientChunkRows).
   * The circuit needs parameters, or `features` (then dL/dfeatures is given too).
   */
  static async create(
    gpu: GpuContext, schedule: NoiseSchedule, output: CircuitOutput, capacity: number, trajectories: number, options: { real?: 'auto' | 'never'; maxChunkBytes?: number; features?: boolean } = {},
  ): Promise<NoisyGradientRunner> {
    checkDevice(gpu);
    const { circuit } = schedule;
    const P = circuit.params;
    const F = circuit.features;
    const withFeatures = options.features === true;
    if (P === 0 && !withFeatures) throw new QmoeInputError('circuit.params', 0, 'the noise-aware gradient runner needs trainable parameters (or features: true)');
    const compiled = compileNoise(schedule, 'threshold', options.real !== 'never');
    const shape = noisyAdjointShape(gpu, circuit.qubits, compiled.real);
    const max = noisyGradientChunkRows(gpu, schedule, output, trajectories, options.maxChunkBytes, withFeatures);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > max) throw new QmoeInputError('capacity', capacity, `must be an integer from 1 to ${max} on this adapter`);
    const T = trajectories;
    const buffers = new BufferSet(gpu, `the noise-aware gradient runner (${circuit.qubits} qubits, ${capacity} rows x ${T} trajectories)`);
    let reducer: ColumnReducer | null = null;
    try {
      const { mats, paramOf } = gradientTables(schedule, compiled, undefined);
      const tables = await NoiseTables.create(buffers, compiled, mats.byteLength, capacity);
      const upstream = buffers.storage('noisy adjoint dL/dout', capacity * outputCount(circuit.qubits, output) * 4);
      const perTrajectory = buffers.storage('per-trajectory dL/dparams', Math.max(16, capacity * T * P * 4));
      const sum = buffers.storage('dL/dparams', Math.max(16, P * 4));
      const featureGrad = withFeatures && F > 0
        ? { buffer: buffers.storage('per-trajectory dL/dfeatures', capacity * T * F * 4), staging: buffers.readback('dL/dfeatures readback', capacity * T * F * 4) }
        : null;
      const kernel = await getKernel(gpu, 'noisy_adjoint', { REAL: compiled.real }, { QUBITS: circuit.qubits, GROUP_SIZE: shape.groupSize, SEG: shape.seg, OUTPUT_KIND: OUTPUT_KIND[output.kind] });
      const step = kernelStep(buffers, kernel, {
        ...tables.bindings,
        upstream,
        param_of: buffers.storageOf('noisy adjoint param of matrix', paramOf),
        grad_params: perTrajectory,
        grad_features: featureGrad?.buffer ?? buffers.storage('no dL/dfeatures', 16),
      });
      reducer = P > 0 ? await ColumnReducer.create(gpu, capacity * T, P) : null;
      const runner = new NoisyGradientRunner(schedule, compiled, output, capacity, T, buffers, tables, upstream, perTrajectory, sum, buffers.readback('dL/dparams readback', Math.max(16, P * 4)), step, reducer, featureGrad, withFeatures);
      await buffers.ready();
      return runner;
    } catch (e) {
      reducer?.destroy();
      buffers.destroy();
      throw e;
    }
  }

  /** Uploads the gate matrices and derivatives of `params`. */
  setParams(params: ArrayLike<number> | undefined): void {
    this.tables.setMatrices(gradientTables(this.schedule, this.compiled, params).mats);
  }

  /**
   * The gradient of rows [start, start + rows) (features and dL/dout of the whole batch, f32):
   * dL/dparams summed over those rows and over the trajectories, and (features) dL/dfeatures per
   * row summed over its trajectories (the caller divides both by T).
   */
  async run(call: GpuCall, features: Float32Array, upstream: Float32Array, start: number, rows: number): Promise<{ params: Float32Array; features?: Float32Array }> {
    if (rows < 1 || rows > this.capacity) throw new QmoeInputError('rows', rows, `must be from 1 to the runner's capacity ${this.capacity}`);
    const { device } = call.gpu;
    const { circuit } = this.schedule;
    const T = this.trajectories;
    device.queue.writeBuffer(this.upstream, 0, upstream, start * this.outputs, rows * this.outputs);
    this.tables.setFeatures(features, start, rows);
    const encoder = device.createCommandEncoder({ label: 'noise-aware adjoint gradient' });
    const pass = encoder.beginComputePass({ label: 'noise-aware adjoint gradient' });
    this.tables.encodeAngles(pass, rows);
    this.step.encode(pass, rows * T, {
      rows,
      features: circuit.features,
      num_ops: this.compiled.ops.length / 4,
      outputs: this.outputs,
      params: circuit.params,
      dmat_offset: Math.max(1, this.compiled.matrixOps.length),
      want_features: this.featureGrad ? 1 : 0,
      ...this.draws.meta(start),
      readout: this.compiled.readout,
    });
    this.reducer?.encode(pass, this.perTrajectory, rows * T, this.sum);
    pass.end();
    call.submit(encoder);
    const params = this.reducer ? await call.read(this.sum, circuit.params * 4, this.staging) : new Float32Array(0);
    if (!this.withFeatures) return { params };
    if (!this.featureGrad) return { params, features: new Float32Array(0) };
    const F = circuit.features;
    const perTrajectory = await call.read(this.featureGrad.buffer, rows * T * F * 4, this.featureGrad.staging);
    const summed = new Float32Array(rows * F);
    for (let j = 0; j < rows; j++) {
      for (let t = 0; t < T; t++) for (let i = 0; i < F; i++) summed[j * F + i] += perTrajectory[(j * T + t) * F + i];
    }
    return { params, features: summed };
  }

  destroy(): void {
    this.reducer?.destroy();
    this.buffers.destroy();
  }
}

/**
 * The noise-aware gradient of a whole batch through `runner` in chunks of its capacity, averaged
 * over the runner's T trajectories (float64 sums of the f32 chunk sums); dL/dfeatures per row
 * when the runner was made with features.
 */
export async function noisyGradientInChunks(gpu: GpuContext, runner: NoisyGradientRunner, input: BatchInput, dLdOut: ArrayLike<number>): Promise<{ params: Float64Array; features?: Float64Array }> {
  const call = new GpuCall(gpu, 'the noise-aware gradient');
  const P = input.params?.length ?? 0;
  const T = runner.trajectories;
  const total = new Float64Array(P);
  const F = input.features ? input.features.length / input.rows : 0;
  const featureGrad = runner.withFeatures ? new Float64Array(input.rows * F) : undefined;
  const features = Float32Array.from(input.features ?? []);
  const up = Float32Array.from(dLdOut);
  runner.setParams(input.params);
  for (let start = 0; start < input.rows; start += runner.capacity) {
    const rows = Math.min(runner.capacity, input.rows - start);
    const sum = await runner.run(call, features, up, start, rows);
    for (let i = 0; i < P; i++) total[i] += sum.params[i];
    if (featureGrad && sum.features) for (let i = 0; i < sum.features.length; i++) featureGrad[start * F + i] = sum.features[i] / T;
  }
  for (let i = 0; i < P; i++) total[i] /= T;
  checkFiniteResult('the noise-aware gradient', total);
  if (featureGrad) checkFiniteResult('the noise-aware feature gradient', featureGrad);
  return featureGrad ? { params: total, features: featureGrad } : { params: total };
}

/**
 * The noise-aware gradient by trajectories on the GPU (shaders/noisy_adjoint.wgsl): for
 * L = sum_{r,o} dLdOut[r, o] out[r, o] with out the trajectory-mean noisy outputs (readout error
 * included), the adjoint gradient of each (row, trajectory) pair with its drawn Paulis as fixed
 * gates, summed over rows on the GPU and averaged over the T trajectories. The same draws, and
 * (within f32) the same result, as noisyGradientCpu for the same counters: parameter gradients
 * (circuit.params long) and, with `features`, dL/dfeatures per row. Circuits whose states do not
 * fit workgroup memory run on the global-memory path (chooseNoisyGradientPath, noisyGradientGlobal).
 */
export async function noisyGradientGpu(
  gpu: GpuContext,
  schedule: NoiseSchedule,
  input: BatchInput,
  output: CircuitOutput,
  dLdOut: ArrayLike<number>,
  options: NoisyGradientGpuOptions,
): Promise<{ params: Float64Array; features?: Float64Array }> {
  const { circuit } = schedule;
  const { o } = checkNoisyGradient(schedule, input, output, dLdOut, options);
  const features = options.features === true;
  if (options.real !== undefined && options.real !== 'auto' && options.real !== 'never') {
    throw new QmoeInputError('options.real', options.real, "must be 'auto' or 'never'");
  }
  checkNoiseGpuInput(circuit, input, dLdOut);
  checkDevice(gpu);
  if (circuit.params === 0 && !features) return { params: new Float64Array(0) };
  const real = compileNoise(schedule, 'threshold', options.real !== 'never').real;
  if (chooseNoisyGradientPath(gpu, circuit.qubits, real, options.path) === 'global') {
    return noisyGradientGlobal(gpu, schedule, input, output, dLdOut, { ...o, real: options.real, features });
  }
  const rows = Math.min(input.rows, noisyGradientChunkRows(gpu, schedule, output, o.trajectories, options.maxChunkBytes, features));
  const { value: runner } = await allocateSplitting(rows, (capacity) => NoisyGradientRunner.create(gpu, schedule, output, capacity, o.trajectories, options));
  try {
    runner.draws.set(o);
    return await noisyGradientInChunks(gpu, runner, input, dLdOut);
  } finally {
    runner.destroy();
  }
}
