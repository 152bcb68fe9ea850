import { QmoeGpuMemoryError, QmoeInputError } from '../errors.js';
import { formatBytes, scoped } from './check.js';
import type { GpuContext } from './context.js';
import { type UniformStruct, type UniformValues, packUniform } from './uniforms.js';

/** A uniform buffer that holds one generated struct (src/gpu/uniforms.ts), written by field name. */
export class Uniform<S extends UniformStruct> {
  private last: Uint32Array | null = null;

  constructor(
    private readonly gpu: GpuContext,
    readonly struct: S,
    readonly buffer: GPUBuffer,
  ) {}

  /** Writes `values`; skips the upload when they equal the last ones written (steps repeat the same sizes). */
  write(values: UniformValues<S>): void {
    const bytes = new Uint32Array(packUniform(this.struct, values as Record<string, number>));
    if (this.last && this.last.every((w, i) => w === bytes[i])) return;
    this.gpu.device.queue.writeBuffer(this.buffer, 0, bytes);
    this.last = bytes;
  }
}

/**
 * The buffers of one owner (a runner, an engine): it makes them, checks every allocation in error
 * scopes, and frees them all in destroy(). An allocation over the context's cap, over the
 * adapter's maxBufferSize, or one the driver fails becomes a QmoeGpuMemoryError that names the
 * buffer, its size and the limit: thrown at once for a cap, by ready() for the driver's failures.
 */
export class BufferSet {
  private readonly buffers: GPUBuffer[] = [];
  private readonly checks: Promise<void>[] = [];
  private allocated = 0;

  constructor(
    readonly gpu: GpuContext,
    /** Who owns the buffers, for messages ("the circuit runner"). */
    readonly owner: string,
  ) {}

  /** Bytes allocated so far. */
  get bytes(): number {
    return this.allocated;
  }

  private create(label: string, bytes: number, usage: number, data?: ArrayBufferView): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const { gpu } = this;
    const limit = Math.min(gpu.maxAllocationBytes, gpu.limits.maxBufferSize);
    const what = `the ${formatBytes(size)} "${label}" buffer of ${this.owner}`;
    if (size > limit) {
      const which = gpu.maxAllocationBytes < gpu.limits.maxBufferSize ? `the allocation cap (maxAllocationBytes, QMOE_GPU_MAX_ALLOCATION) of ${formatBytes(limit)}` : `this adapter's maxBufferSize of ${formatBytes(limit)}`;
      throw new QmoeGpuMemoryError(`out of GPU memory: ${what} is over ${which}`, size);
    }
    const { value: buffer, errors } = scoped(
      gpu,
      `${what} could not be allocated (this adapter's maxBufferSize is ${formatBytes(gpu.limits.maxBufferSize)})`,
      () => {
        const b = gpu.device.createBuffer({ label, size, usage });
        if (data) gpu.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
        return b;
      },
      size,
    );
    errors.catch(() => {}); // awaited in ready()
    this.checks.push(errors);
    this.buffers.push(buffer);
    this.allocated += size;
    return buffer;
  }

  /** A storage buffer of at least `bytes` (rounded up to 16: WebGPU rejects empty bindings), optionally filled with `data`. */
  storage(label: string, bytes: number, data?: ArrayBufferView, extraUsage = 0): GPUBuffer {
    // (GPUBufferUsage exists only once a WebGPU implementation is loaded: read it here, not at import.)
    return this.create(label, bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage, data);
  }

  /** A storage buffer holding `data`. */
  storageOf(label: string, data: ArrayBufferView): GPUBuffer {
    return this.storage(label, data.byteLength, data);
  }

  /** A uniform buffer for a generated struct. */
  uniform<S extends UniformStruct>(struct: S, label: string): Uniform<S> {
    return new Uniform(this.gpu, struct, this.create(label, struct.bytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST));
  }

  /** A plain uniform buffer of `bytes` filled with `data` (tables read at dynamic offsets). */
  uniformBytes(label: string, bytes: number, data?: ArrayBufferView): GPUBuffer {
    return this.create(label, bytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, data);
  }

  /** A buffer to read results back through (GpuCall.read), of at least `bytes`. */
  readback(label: string, bytes: number): GPUBuffer {
    return this.create(label, bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  /**
   * Builds what owns this set (a runner): waits for `build` and for every allocation; on any
   * failure frees the buffers (and calls `cleanup`) and rethrows.
   */
  async settle<T>(build: () => Promise<T>, cleanup?: () => void): Promise<T> {
    try {
      const value = await build();
      await this.ready();
      return value;
    } catch (e) {
      cleanup?.();
      this.destroy();
      throw e;
    }
  }

  /** Resolves when every allocation so far has succeeded; else throws its QmoeGpuMemoryError (or QmoeGpuError). */
  async ready(): Promise<void> {
    const checks = this.checks.splice(0);
    for (const c of checks) await c;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
    this.checks.length = 0;
    this.allocated = 0;
  }
}

/**
 * Uploads `rows` rows of `width` numbers (row-major f32) into `buffer`, for a runner of
 * `capacity` rows; throws a QmoeInputError for a row count or array length out of range.
 */
export function writeRows(gpu: GpuContext, buffer: GPUBuffer, data: Float32Array, rows: number, width: number, capacity: number): void {
  if (!Number.isInteger(rows) || rows < 1 || rows > capacity) throw new QmoeInputError('rows', rows, `must be from 1 to the runner's capacity ${capacity}`);
  if (width === 0) return;
  if (data.length < rows * width) throw new QmoeInputError('features.length', data.length, `must hold rows x features = ${rows * width} numbers`);
  gpu.device.queue.writeBuffer(buffer, 0, data, 0, rows * width);
}
