import type { BufferSet } from './buffer-set.js';
import type { GpuContext } from './context.js';
import { type Kernel, bindGroup } from './kernel.js';
import { type UniformStruct, packUniform } from './uniforms.js';

/**
 * One uniform struct per dispatch (an op's index, a pass's records), all in one buffer, each at
 * the device's dynamic-offset alignment: one compute pass then holds a dispatch per entry, each
 * with its own bind group over its slice (group 1 of the per-op and per-pass kernels).
 */
export class UniformTable<F extends string> {
  private readonly buffer: GPUBuffer;
  private readonly align: number;
  readonly count: number;

  constructor(
    private readonly gpu: GpuContext,
    buffers: BufferSet,
    label: string,
    private readonly struct: UniformStruct<F>,
    values: readonly Record<F, number>[],
  ) {
    this.align = gpu.limits.minUniformBufferOffsetAlignment;
    this.count = values.length;
    const table = new Uint8Array(Math.max(1, values.length) * this.align);
    values.forEach((v, i) => table.set(new Uint8Array(packUniform(struct, v)), i * this.align));
    this.buffer = buffers.uniformBytes(label, table.byteLength, table);
  }

  /** Bind group `group` of `kernel` with entry i bound as `name`. */
  group(kernel: Kernel, i: number, name = 'op_index', group = 1): GPUBindGroup {
    return bindGroup(this.gpu, kernel, { [name]: { buffer: this.buffer, offset: i * this.align, size: this.struct.bytes } }, group);
  }

  /** group() of every entry, in order. */
  groups(kernel: Kernel, name = 'op_index', group = 1): GPUBindGroup[] {
    return Array.from({ length: this.count }, (_, i) => this.group(kernel, i, name, group));
  }
}
