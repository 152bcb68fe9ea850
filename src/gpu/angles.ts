import type { BufferSet } from './buffer-set.js';
import { type KernelStep, getKernel, kernelStep } from './kernel.js';

/**
 * The features-to-angles step of every circuit kernel (shaders/angles.wgsl): (cos, sin) of half
 * of each value of `values`, computed precisely into `trig` (WGSL's own sin and cos are too coarse).
 * With no values (a circuit without features) it allocates a minimal table and encodes nothing.
 */
export class AnglesStep {
  private constructor(
    /** (cos, sin) pairs: capacity x vec2<f32>. */
    readonly trig: GPUBuffer,
    readonly capacity: number,
    private readonly step: KernelStep<'angles'> | null,
  ) {}

  /** A step for up to `capacity` values of `values` (f32), its table in `set`. */
  static async create(set: BufferSet, values: GPUBuffer, capacity: number, label = 'trig'): Promise<AnglesStep> {
    const trig = set.storage(label, capacity * 8);
    if (capacity === 0) return new AnglesStep(trig, 0, null);
    const kernel = await getKernel(set.gpu, 'angles');
    return new AnglesStep(trig, capacity, kernelStep(set, kernel, { values, trig }));
  }

  /** Encodes the angles of the first `count` values. */
  encode(pass: GPUComputePassEncoder, count: number): void {
    if (!this.step || count === 0) return;
    if (count > this.capacity) throw new Error(`AnglesStep: ${count} values over its capacity ${this.capacity}`);
    this.step.encode(pass, Math.ceil(count / 256), { count });
  }
}
