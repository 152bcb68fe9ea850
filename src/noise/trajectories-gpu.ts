import { QmoeInputError } from '../errors.js';
import { checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { type KernelStep, getKernel, kernelStep } from '../gpu/kernel.js';
import type { BatchInput } from '../sim/backend.js';
import { validateInput } from '../sim/input.js';
import { maxBindingBytes } from '../sim/statevector-gpu.js';
import { compileNoise } from './compile.js';
import type { NoiseSchedule } from './model.js';
import { DEFAULT_MAX_CHUNK_BYTES, type NoiseGpuOptions, NoiseProbabilityRunner, type ProbabilityParts, TrajectoryDraws, checkNoiseGpuInput, noiseThreads, probabilitiesOnce, probabilityParts } from './runner-gpu.js';
import { type TrajectoryOptions, validateTrajectoryOptions } from './trajectories-cpu.js';
import { checkGlobalTrajectoryFits, trajectoryProbabilitiesGlobal } from './trajectories-global.js';

/** Slots (trajectories in flight) per workgroup of the trajectories kernel; throws when one state does not fit. */
export function trajectoryShape(gpu: GpuContext, qubits: number, real: boolean, trajectories = Infinity): { groupSize: number; slots: number } {
  const dim = 2 ** qubits;
  const amp = real ? 4 : 8;
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  if (dim * amp > storage) {
    const maxQ = Math.floor(Math.log2(storage / amp));
    throw new QmoeInputError('circuit.qubits', qubits, `trajectories keep one ${real ? 'real' : 'complex'} state in workgroup memory (${storage} bytes on this adapter): at most ${maxQ} qubits`);
  }
  const max = noiseThreads(gpu);
  const pairs = Math.max(1, dim / 2);
  // No more slots than trajectories (rounded up to a power of two, to keep few pipeline variants).
  const wanted = 2 ** Math.ceil(Math.log2(Math.max(1, Math.min(trajectories, 2 ** 20))));
  const slots = Math.max(1, Math.min(Math.floor(max / pairs), Math.floor(storage / (dim * amp)), wanted));
  const groupSize = Math.min(max, Math.max(32, slots * pairs));
  return { groupSize, slots };
}

/** Where trajectory states live: workgroup memory (shaders/trajectories.wgsl) or storage buffers (trajectories-global.ts). */
export type TrajectoryPath = 'workgroup' | 'global';

/**
 * The trajectories path of an n-qubit noisy circuit: 'auto' takes the workgroup kernel while one
 * state fits workgroup memory, else the global one; 'fused' forces the workgroup kernel. A path
 * that cannot hold the circuit throws the QmoeInputError naming the limit.
 */
export function chooseTrajectoryPath(gpu: GpuContext, qubits: number, real: boolean, path: NoiseGpuOptions['path'] = 'auto'): TrajectoryPath {
  if (path !== 'auto' && path !== 'fused' && path !== 'global') throw new QmoeInputError('path', path, "must be 'auto', 'fused' (workgroup memory) or 'global'");
  if (path === 'fused' || (path === 'auto' && 2 ** qubits * (real ? 4 : 8) <= gpu.limits.maxComputeWorkgroupStorageSize)) {
    trajectoryShape(gpu, qubits, real);
    return 'workgroup';
  }
  checkGlobalTrajectoryFits(gpu, qubits, real);
  return 'global';
}

/**
 * Noisy probabilities by T trajectories per row (shaders/trajectories.wgsl) prepared for up to
 * `capacity` rows; the draws' seed, step and first sample are set per run (setDraws).
 */
export class TrajectoryRunner extends NoiseProbabilityRunner {
  readonly draws: TrajectoryDraws;

  private constructor(
    parts: ProbabilityParts,
    readonly trajectories: number,
    private readonly step: KernelStep<'trajectories'>,
  ) {
    super(parts);
    this.draws = new TrajectoryDraws(trajectories);
  }

  /** Most rows per chunk on this adapter for `maxChunkBytes` (at least 1). */
  static chunkRows(gpu: GpuContext, schedule: NoiseSchedule, options: NoiseGpuOptions = {}): number {
    const dim = 2 ** schedule.circuit.qubits;
    const F = schedule.circuit.features;
    const limit = maxBindingBytes(gpu);
    if (dim * 4 > limit) throw new QmoeInputError('circuit.qubits', schedule.circuit.qubits, `one row of ${dim} probabilities is over this adapter's storage binding limit of ${limit} bytes`);
    const chunk = Math.floor((options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES) / (dim * 4 + F * 12));
    return Math.max(1, Math.min(chunk, Math.floor(limit / (dim * 4)), F > 0 ? Math.floor(limit / (F * 8)) : chunk, gpu.limits.maxComputeWorkgroupsPerDimension ** 2));
  }

  /** Prepares `schedule` for up to `capacity` rows of `trajectories` trajectories each. */
  static async create(gpu: GpuContext, schedule: NoiseSchedule, capacity: number, trajectories: number, options: NoiseGpuOptions = {}): Promise<TrajectoryRunner> {
    checkDevice(gpu);
    const n = schedule.circuit.qubits;
    const compiled = compileNoise(schedule, 'threshold', options.real !== 'never');
    const shape = trajectoryShape(gpu, n, compiled.real, trajectories);
    const max = TrajectoryRunner.chunkRows(gpu, schedule, options);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > max) throw new QmoeInputError('capacity', capacity, `must be an integer from 1 to ${max} on this adapter`);
    const parts = await probabilityParts(gpu, schedule, compiled, capacity, `the trajectories runner (${n} qubits, ${capacity} row${capacity === 1 ? '' : 's'})`);
    return parts.buffers.settle(async () => {
      const kernel = await getKernel(gpu, 'trajectories', { REAL: compiled.real }, { QUBITS: n, GROUP_SIZE: shape.groupSize, SLOTS_PER_GROUP: shape.slots });
      const runner = new TrajectoryRunner(parts, trajectories, kernelStep(parts.buffers, kernel, { ...parts.tables.bindings, out: parts.out }));
      return runner;
    });
  }

  protected encodeKernel(pass: GPUComputePassEncoder, start: number, rows: number): void {
    const { compiled } = this.parts;
    this.step.encode(pass, rows, { rows, features: compiled.features, num_ops: compiled.ops.length / 4, ...this.draws.meta(start), readout: compiled.readout });
  }
}

/**
 * Noisy probabilities by Monte-Carlo trajectories on the GPU, rows x 2^n: the same Pauli draws as
 * trajectoryProbabilitiesCpu for the same counters. The path (options.path) as chooseTrajectoryPath:
 * shaders/trajectories.wgsl while a state fits workgroup memory, else global memory
 * (trajectoryProbabilitiesGlobal).
 */
export async function trajectoryProbabilitiesGpu(
  gpu: GpuContext,
  schedule: NoiseSchedule,
  input: BatchInput,
  trajectories: TrajectoryOptions,
  options: NoiseGpuOptions = {},
): Promise<Float32Array> {
  validateInput(schedule.circuit, input);
  const t = validateTrajectoryOptions(trajectories);
  checkNoiseGpuInput(schedule.circuit, input);
  checkDevice(gpu);
  const real = compileNoise(schedule, 'threshold', options.real !== 'never').real;
  if (chooseTrajectoryPath(gpu, schedule.circuit.qubits, real, options.path) === 'global') return trajectoryProbabilitiesGlobal(gpu, schedule, input, t, options);
  const rows = Math.min(input.rows, TrajectoryRunner.chunkRows(gpu, schedule, options));
  const make = async (capacity: number) => {
    const runner = await TrajectoryRunner.create(gpu, schedule, capacity, t.trajectories, options);
    runner.draws.set(t);
    return runner;
  };
  return probabilitiesOnce(gpu, rows, make, input, 'the noisy probabilities (trajectories)');
}
