import { QmoeInputError } from '../errors.js';
import { checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { type KernelStep, getKernel, kernelStep } from '../gpu/kernel.js';
import type { BatchInput } from '../sim/backend.js';
import { validateInput } from '../sim/input.js';
import { maxBindingBytes } from '../sim/statevector-gpu.js';
import { compileNoise } from './compile.js';
import { DENSITY_GPU_MAX_QUBITS, GlobalDensityRunner } from './density-global.js';
import { checkDensityQubits } from './density-cpu.js';
import type { NoiseSchedule } from './model.js';
import { DEFAULT_MAX_CHUNK_BYTES, type NoiseGpuOptions, NoiseProbabilityRunner, type ProbabilityParts, checkNoiseGpuInput, noiseThreads, probabilitiesOnce, probabilityParts } from './runner-gpu.js';

export { DENSITY_GPU_MAX_QUBITS };

/**
 * Shape of the density kernel: fused (rho of SAMPLES_PER_GROUP samples in workgroup memory; complex
 * f32, so n <= 6 with 32 KiB) or global (one workgroup per sample, rho in a storage buffer).
 */
export function densityShape(gpu: GpuContext, qubits: number, path: NoiseGpuOptions['path'] = 'auto'): { fused: boolean; groupSize: number; samplesPerGroup: number } {
  const d2 = 4 ** qubits;
  const bytes = d2 * 8;
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  const fits = bytes <= storage;
  if (path === 'fused' && !fits) {
    throw new QmoeInputError('circuit.qubits', qubits, `a ${qubits}-qubit density matrix (${bytes} bytes) does not fit this adapter's ${storage} bytes of workgroup memory (fused path)`);
  }
  const max = noiseThreads(gpu);
  if (fits && path !== 'global') {
    const quads = d2 / 4;
    const groupSize = Math.min(max, Math.max(64, quads));
    const samplesPerGroup = Math.max(1, Math.min(Math.floor(groupSize / quads), Math.floor(storage / bytes)));
    return { fused: true, groupSize, samplesPerGroup };
  }
  return { fused: false, groupSize: max, samplesPerGroup: 1 };
}

/** Where a density matrix lives: workgroup memory, global memory with one workgroup per sample, or global memory spread over many workgroups. */
export type DensityPath = 'fused' | 'global' | 'spread';

/**
 * The density-matrix path of an n-qubit circuit: 'auto' takes the fused kernel while rho fits in
 * workgroup memory, else 'spread' (src/noise/density-global.ts, one dispatch per op over many
 * workgroups); 'global' is shaders/density.wgsl with one workgroup per sample.
 */
export function chooseDensityPath(gpu: GpuContext, qubits: number, path: NoiseGpuOptions['path'] = 'auto'): DensityPath {
  if (path !== 'auto' && path !== 'fused' && path !== 'global' && path !== 'spread') throw new QmoeInputError('path', path, "must be 'auto', 'fused', 'global' or 'spread'");
  if (path === 'global' || path === 'spread') return path;
  return densityShape(gpu, qubits, path).fused ? 'fused' : 'spread';
}

/**
 * Exact noisy probabilities (shaders/density.wgsl) prepared for up to `capacity` rows: buffers,
 * pipeline and bind group are made once (NoisyBackend keeps one across training steps).
 */
export class DensityRunner extends NoiseProbabilityRunner {
  private constructor(
    parts: ProbabilityParts,
    private readonly shape: ReturnType<typeof densityShape>,
    private readonly step: KernelStep<'density'>,
  ) {
    super(parts);
  }

  /** Most rows per chunk on this adapter for `maxChunkBytes` (at least 1); throws when one row cannot fit. */
  static chunkRows(gpu: GpuContext, schedule: NoiseSchedule, options: NoiseGpuOptions = {}): number {
    const n = schedule.circuit.qubits;
    checkDensityQubits(n, DENSITY_GPU_MAX_QUBITS, 'WebGPU');
    const shape = densityShape(gpu, n, options.path);
    const limit = maxBindingBytes(gpu);
    const rhoBytes = 4 ** n * 8;
    if (!shape.fused && rhoBytes > limit) {
      throw new QmoeInputError('circuit.qubits', n, `one ${n}-qubit density matrix needs ${rhoBytes} bytes, over this adapter's storage binding limit of ${limit} bytes`);
    }
    const dim = 2 ** n;
    const F = schedule.circuit.features;
    const rowBytes = dim * 4 + F * 12 + (shape.fused ? 0 : rhoBytes);
    let chunk = Math.max(1, Math.floor((options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES) / rowBytes));
    chunk = Math.min(chunk, Math.floor(limit / (dim * 4)), F > 0 ? Math.floor(limit / (F * 8)) : chunk, gpu.limits.maxComputeWorkgroupsPerDimension ** 2 * shape.samplesPerGroup);
    if (!shape.fused) chunk = Math.min(chunk, Math.floor(limit / rhoBytes));
    return Math.max(1, chunk);
  }

  /** Prepares `schedule` for up to `capacity` rows (at most chunkRows). */
  static async create(gpu: GpuContext, schedule: NoiseSchedule, capacity: number, options: NoiseGpuOptions = {}): Promise<DensityRunner> {
    checkDevice(gpu);
    const n = schedule.circuit.qubits;
    const max = DensityRunner.chunkRows(gpu, schedule, options);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > max) throw new QmoeInputError('capacity', capacity, `must be an integer from 1 to ${max} on this adapter`);
    const shape = densityShape(gpu, n, options.path);
    const compiled = compileNoise(schedule, 'rate', false);
    const parts = await probabilityParts(gpu, schedule, compiled, capacity, `the density-matrix runner (${n} qubits, ${capacity} row${capacity === 1 ? '' : 's'})`);
    return parts.buffers.settle(async () => {
      const kernel = await getKernel(gpu, 'density', { FUSED: shape.fused }, { QUBITS: n, GROUP_SIZE: shape.groupSize, SAMPLES_PER_GROUP: shape.samplesPerGroup });
      const resources: Record<string, GPUBuffer> = { ...parts.tables.bindings, out: parts.out };
      if (!shape.fused) resources.rho = parts.buffers.storage('density matrices', capacity * 4 ** n * 8);
      const runner = new DensityRunner(parts, shape, kernelStep(parts.buffers, kernel, resources));
      return runner;
    });
  }

  protected encodeKernel(pass: GPUComputePassEncoder, _start: number, rows: number): void {
    const { compiled } = this.parts;
    this.step.encode(pass, Math.ceil(rows / this.shape.samplesPerGroup), { rows, features: compiled.features, num_ops: compiled.ops.length / 4, readout: compiled.readout });
  }
}

/**
 * Exact noisy probabilities on the GPU (f32 density matrices), rows x 2^n, on the path
 * chooseDensityPath picks: shaders/density.wgsl, or density-global.ts beyond workgroup memory.
 * Serves n <= DENSITY_GPU_MAX_QUBITS and what the adapter's storage binding holds.
 */
export async function densityProbabilitiesGpu(gpu: GpuContext, schedule: NoiseSchedule, input: BatchInput, options: NoiseGpuOptions = {}): Promise<Float32Array> {
  validateInput(schedule.circuit, input);
  checkNoiseGpuInput(schedule.circuit, input);
  checkDevice(gpu);
  if (chooseDensityPath(gpu, schedule.circuit.qubits, options.path) === 'spread') {
    const rows = Math.min(input.rows, GlobalDensityRunner.chunkRows(gpu, schedule, options));
    return probabilitiesOnce(gpu, rows, (capacity) => GlobalDensityRunner.create(gpu, schedule, capacity, options), input, 'the noisy probabilities (density matrices)');
  }
  const rows = Math.min(input.rows, DensityRunner.chunkRows(gpu, schedule, options));
  return probabilitiesOnce(gpu, rows, (capacity) => DensityRunner.create(gpu, schedule, capacity, options), input, 'the noisy probabilities (density matrices)');
}
