import { QmoeInputError } from '../errors.js';
import { checkDevice, formatBytes } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { type KernelStep, getKernel, grid, kernelStep } from '../gpu/kernel.js';
import { KERNELS } from '../gpu/kernels.js';
import { UniformTable } from '../gpu/uniform-table.js';
import { OP_KIND, OP_KIND_BITS } from '../gpu/op-codes.js';
import { maxBindingBytes } from '../sim/statevector-gpu.js';
import { compileNoise } from './compile.js';
import { checkDensityQubits } from './density-cpu.js';
import type { NoiseSchedule } from './model.js';
import { DEFAULT_MAX_CHUNK_BYTES, type NoiseGpuOptions, NoiseProbabilityRunner, type ProbabilityParts, probabilityParts } from './runner-gpu.js';

/** Most qubits of the exact path on the GPU: 4^11 complex f32 = 32 MiB per sample in global memory. */
export const DENSITY_GPU_MAX_QUBITS = 11;

/** Units one invocation of shaders/global_density.wgsl handles per op kind (lib/density-op.wgsl density_units). */
function units(kind: number, qubits: number): number {
  const d2 = 4 ** qubits;
  if (kind === OP_KIND.SWAP) return d2;
  if (kind === OP_KIND.CHANNEL2) return d2 / 16;
  return d2 / 4;
}

/**
 * Exact noisy probabilities with the density matrices in global memory, each op one dispatch
 * spread over many workgroups (shaders/global_density.wgsl: every quad, entry or 4x4 block of
 * every sample its own invocation, no barriers), then the diagonal (global_density_diag.wgsl)
 * and readout error per qubit (global_readout.wgsl). For density matrices that one workgroup's
 * memory cannot hold; the 'spread' path of densityProbabilitiesGpu.
 */
export class GlobalDensityRunner extends NoiseProbabilityRunner {
  private constructor(
    parts: ProbabilityParts,
    private readonly init: KernelStep<'init_state'>,
    private readonly op: KernelStep<'global_density'>,
    private readonly diag: KernelStep<'global_density_diag'>,
    private readonly readout: KernelStep<'global_readout'>[],
    private readonly groups: GPUBindGroup[],
    private readonly kinds: number[],
  ) {
    super(parts);
  }

  /** Most rows per chunk on this adapter for `maxChunkBytes` (at least 1); throws when one density matrix cannot fit. */
  static chunkRows(gpu: GpuContext, schedule: NoiseSchedule, options: NoiseGpuOptions = {}): number {
    const n = schedule.circuit.qubits;
    checkDensityQubits(n, DENSITY_GPU_MAX_QUBITS, 'WebGPU');
    const limit = Math.min(maxBindingBytes(gpu), gpu.maxAllocationBytes);
    const rhoBytes = 4 ** n * 8;
    if (rhoBytes > limit) throw new QmoeInputError('circuit.qubits', n, `one ${n}-qubit density matrix needs ${formatBytes(rhoBytes)}, over this adapter's storage binding limit of ${formatBytes(limit)}`);
    const dim = 2 ** n;
    const F = schedule.circuit.features;
    const chunk = Math.floor((options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES) / (rhoBytes + dim * 4 + F * 12));
    const byGrid = Math.floor((gpu.limits.maxComputeWorkgroupsPerDimension ** 2 * 256) / 4 ** n);
    return Math.max(1, Math.min(chunk, Math.floor(limit / rhoBytes), Math.floor(limit / (dim * 4)), F > 0 ? Math.floor(limit / (F * 8)) : chunk, Math.floor(2 ** 31 / 4 ** n), byGrid));
  }

  /** Prepares `schedule` for up to `capacity` rows (at most chunkRows). */
  static async create(gpu: GpuContext, schedule: NoiseSchedule, capacity: number, options: NoiseGpuOptions = {}): Promise<GlobalDensityRunner> {
    checkDevice(gpu);
    const n = schedule.circuit.qubits;
    const max = GlobalDensityRunner.chunkRows(gpu, schedule, options);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > max) throw new QmoeInputError('capacity', capacity, `must be an integer from 1 to ${max} on this adapter`);
    const compiled = compileNoise(schedule, 'rate', false);
    const parts = await probabilityParts(gpu, schedule, compiled, capacity, `the global density-matrix runner (${n} qubits, ${capacity} row${capacity === 1 ? '' : 's'})`);
    const { buffers } = parts;
    return buffers.settle(async () => {
      const [init, op, diag, readout] = await Promise.all([
        getKernel(gpu, 'init_state', { REAL: false }),
        getKernel(gpu, 'global_density', {}, { QUBITS: n }),
        getKernel(gpu, 'global_density_diag', {}, { QUBITS: n }),
        getKernel(gpu, 'global_readout', {}, { QUBITS: n }),
      ]);
      const rho = buffers.storage('density matrices', capacity * 4 ** n * 8);
      const count = compiled.ops.length / 4;
      const groups = new UniformTable(gpu, buffers, 'density op indices', KERNELS.global_density.structs.OpIndex, Array.from({ length: count }, (_, i) => ({ index: i }))).groups(op);
      const kinds = Array.from({ length: count }, (_, i) => compiled.ops[4 * i] & (2 ** OP_KIND_BITS - 1));
      const readoutSteps = compiled.readout > 0 ? Array.from({ length: n }, () => kernelStep(buffers, readout, { out: parts.out })) : [];
      return new GlobalDensityRunner(
        parts,
        kernelStep(buffers, init, { state: rho }),
        kernelStep(buffers, op, { ...parts.tables.bindings, rho }),
        kernelStep(buffers, diag, { rho, out: parts.out }),
        readoutSteps,
        groups,
        kinds,
      );
    });
  }

  protected encodeKernel(pass: GPUComputePassEncoder, _start: number, rows: number): void {
    const { compiled } = this.parts;
    const n = compiled.qubits;
    const d2 = 4 ** n;
    const maxDim = this.parts.buffers.gpu.limits.maxComputeWorkgroupsPerDimension;
    this.init.encode(pass, Math.ceil((rows * d2) / 256), { count: rows * d2, dim: d2 });
    // One grid width for every op (its Meta is written once): the widest dispatch's (a swap's entries).
    const [width] = grid(Math.ceil((rows * d2) / 256), maxDim);
    let meta: { rows: number; features: number; groups_x: number } | null = { rows, features: compiled.features, groups_x: width };
    this.kinds.forEach((kind, i) => {
      pass.setBindGroup(1, this.groups[i]);
      const groups = Math.ceil((rows * units(kind, n)) / 256);
      this.op.encodeGrid(pass, [Math.min(width, groups), Math.ceil(groups / width)], meta);
      meta = null;
    });
    this.diag.encode(pass, Math.ceil((rows * 2 ** n) / 256), { count: rows * 2 ** n });
    this.readout.forEach((step, q) => step.encode(pass, Math.ceil((rows * 2 ** n) / 2 / 256), { rows, bit: 2 ** (n - 1 - q), readout: compiled.readout }));
  }
}
