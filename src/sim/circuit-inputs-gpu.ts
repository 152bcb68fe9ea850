import { type BufferSet, writeRows } from '../gpu/buffer-set.js';
import type { GpuContext } from '../gpu/context.js';

/**
 * What the circuit runners (CircuitRunner, GradientRunner) share: the features of up to
 * `capacity` rows and the gate matrix table, in the runner's BufferSet.
 */
export abstract class CircuitInputs {
  protected readonly featuresBuf: GPUBuffer;
  protected readonly matsBuf: GPUBuffer;
  /** Rows of the last setFeatures (0: none yet). */
  protected rowsSet = 0;

  protected constructor(
    protected readonly gpu: GpuContext,
    readonly capacity: number,
    private readonly width: number,
    protected readonly buffers: BufferSet,
    /** The matrix table's label and size (the subclass's table() cannot run before its fields exist). */
    mats: { label: string; bytes: number },
  ) {
    this.featuresBuf = buffers.storage('features', capacity * width * 4);
    this.matsBuf = buffers.storage(mats.label, mats.bytes);
  }

  /** The matrix table for `params` (float64 on the host, rounded to f32). */
  protected abstract table(params: ArrayLike<number> | undefined): Float32Array;

  /** The gate matrix table the kernels read (the GPU trainer rebuilds its trainable entries in place). */
  get matrices(): GPUBuffer {
    return this.matsBuf;
  }

  /** Uploads `rows` input rows (row-major, the circuit's features wide). */
  setFeatures(features: Float32Array, rows: number): void {
    writeRows(this.gpu, this.featuresBuf, features, rows, this.width, this.capacity);
    this.rowsSet = rows;
  }

  /** Recomputes the gate matrices for `params` and uploads them. */
  setParams(params: ArrayLike<number> | undefined): void {
    this.gpu.device.queue.writeBuffer(this.matsBuf, 0, this.table(params));
  }
}
