import { QmoeInputError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import { SUBGROUP_MAX_REGS } from '../gpu/op-codes.js';

/**
 * Tuning of the subgroup kernels (shaders/subgroup_statevector.wgsl, subgroup_adjoint.wgsl), whose
 * samples each live in the registers of `lanes` invocations of one subgroup.
 */
export interface SubgroupTuning {
  /**
   * Lanes per sample: a power of two, at most the adapter's smallest subgroup size and 2^n. Fewer
   * lanes than a subgroup has pack several samples into it (tests use this to run every lane
   * count on one adapter). Default: 2^n / 8 amplitudes per lane's worth, within those bounds.
   */
  lanes?: number;
}

/** How the subgroup kernels lay out a batch. */
export interface SubgroupShape {
  /** Lanes per sample and amplitudes per lane (lanes x regs = 2^n). */
  lanes: number;
  regs: number;
  groupSize: number;
  samplesPerGroup: number;
}

const isPowerOfTwo = (x: number) => Number.isInteger(x) && x >= 1 && (x & (x - 1)) === 0;

/**
 * The subgroup kernels' shape for an n-qubit state, or null when they do not apply: the adapter
 * has no `subgroups` feature, or 2^n amplitudes over the lanes allowed exceed SUBGROUP_MAX_REGS
 * per lane. A `lanes` the adapter cannot give is a QmoeInputError naming the limit.
 */
export function subgroupShape(gpu: GpuContext, qubits: number, tuning: SubgroupTuning = {}): SubgroupShape | null {
  if (!gpu.subgroups) {
    if (tuning.lanes !== undefined) throw new QmoeInputError('lanes', tuning.lanes, 'this adapter has no subgroups feature');
    return null;
  }
  const dim = 2 ** qubits;
  const maxLanes = Math.min(gpu.subgroups.minSize, dim);
  let lanes: number;
  if (tuning.lanes !== undefined) {
    if (!isPowerOfTwo(tuning.lanes) || tuning.lanes > maxLanes) {
      throw new QmoeInputError('lanes', tuning.lanes, `must be a power of two from 1 to ${maxLanes} (the adapter's smallest subgroup, ${gpu.subgroups.minSize}, and 2^n = ${dim})`);
    }
    lanes = tuning.lanes;
  } else {
    lanes = Math.max(1, Math.min(maxLanes, dim / 8));
  }
  const regs = dim / lanes;
  if (regs > SUBGROUP_MAX_REGS) return null;
  // A multiple of every subgroup size, so subgroups never straddle workgroups.
  const maxThreads = Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX);
  const groupSize = Math.min(maxThreads, Math.max(64, gpu.subgroups.maxSize));
  if (groupSize % gpu.subgroups.maxSize !== 0) return null;
  return { lanes, regs, groupSize, samplesPerGroup: groupSize / lanes };
}

/** Most qubits the subgroup kernels hold on this adapter (0: none). */
export function maxSubgroupQubits(gpu: GpuContext): number {
  if (!gpu.subgroups) return 0;
  return Math.log2(SUBGROUP_MAX_REGS * gpu.subgroups.minSize);
}
