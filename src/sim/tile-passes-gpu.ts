import { checkInt } from '../errors.js';
import type { BufferSet } from '../gpu/buffer-set.js';
import type { GpuContext } from '../gpu/context.js';
import { isSoftwareAdapter } from '../gpu/software-adapter.js';
import type { Kernel } from '../gpu/kernel.js';
import { KERNELS } from '../gpu/kernels.js';
import { UniformTable } from '../gpu/uniform-table.js';
import type { CompiledCircuit } from './compile.js';
import { type FusedPass, tileOpTable } from './fuse.js';

/**
 * How the global path runs a circuit's ops: fused through workgroup-memory tiles (src/sim/fuse.ts,
 * shaders/global_tile.wgsl), only runs of diagonal gates fused (the adjoint's
 * shaders/global_diagonal.wgsl; the forward runner has no such pass and runs every op alone), or
 * one dispatch per op.
 */
export type GlobalFusion = 'tiles' | 'diagonal' | 'none';

/**
 * The global path's fusion on this adapter: tiles on a GPU, diagonal runs on a CPU implementation
 * of WebGPU (SwiftShader runs kernels with barriers many times slower: bench/RESULTS.md).
 */
export function defaultFusion(gpu: GpuContext): GlobalFusion {
  return isSoftwareAdapter(gpu) ? 'diagonal' : 'tiles';
}

/**
 * Invocations per workgroup of the tile kernels for tiles of `bits` bits: 256 (SwiftShader's
 * compile time grows with the tile over the workgroup size: Dawn zero-fills workgroup memory in a
 * loop it unrolls), 64 for the backward kernel that writes one partial per invocation
 * (`perInvocation`: fewer partials per gradient column).
 */
export function tileGroupSize(gpu: GpuContext, bits: number, perInvocation = false): number {
  return Math.max(1, Math.min(perInvocation ? 64 : 256, 2 ** (bits - 1), gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX));
}

/**
 * Tile bits of the forward tile kernel (one tile of amplitudes in workgroup memory), or of the
 * backward one (psi and lambda tiles, and with `reduce` the workgroup's reduction array): the most
 * that fit this adapter's workgroup memory, at most `qubits`, at most `requested` when given.
 */
export function tileBits(gpu: GpuContext, qubits: number, real: boolean, kind: 'forward' | 'backward', reduce = false, requested?: number): number {
  if (requested !== undefined) checkInt('tileBits', requested, 1, 30);
  const amp = real ? 4 : 8;
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  let t = Math.min(qubits, requested ?? qubits);
  const bytes = (b: number) => (kind === 'forward' ? 1 : 2) * 2 ** b * amp + (reduce ? tileGroupSize(gpu, b) * 4 : 0);
  while (t > 1 && bytes(t) > storage) t--;
  return Math.max(1, t);
}

/**
 * The tile passes of one plan on the GPU: the tile-op records (a storage buffer) and one PassIndex
 * uniform per tile pass at the device's offset alignment, bound as group 1 of the tile kernels.
 */
export class TilePlan {
  readonly records: GPUBuffer;
  private readonly indices: UniformTable<'first' | 'count' | 'mask'>;
  /** Per pass: its entry in `indices` (null for single-op passes). */
  private readonly entries: (number | null)[];

  constructor(
    gpu: GpuContext,
    buffers: BufferSet,
    compiled: CompiledCircuit,
    readonly passes: readonly FusedPass[],
    hasGrad: readonly boolean[] = [],
    label = 'tile',
  ) {
    const { records, first } = tileOpTable(compiled, passes, hasGrad);
    this.records = buffers.storageOf(`${label} op records`, records);
    const values: { first: number; count: number; mask: number }[] = [];
    this.entries = passes.map((p, i) => (p.kind === 'tile' ? values.push({ first: first[i], count: p.ops.length, mask: p.mask }) - 1 : null));
    this.indices = new UniformTable(gpu, buffers, `${label} passes`, KERNELS.global_tile.structs.PassIndex, values);
  }

  /** Group 1 of `kernel` for each pass (null for single-op passes). */
  groups(kernel: Kernel): (GPUBindGroup | null)[] {
    return this.entries.map((k) => (k === null ? null : this.indices.group(kernel, k, 'pass_index')));
  }
}
