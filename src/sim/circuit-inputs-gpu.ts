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

  /**
   * Takes `rows` input rows from `source` at byte `offset` (the same layout) with a copy recorded
   * into `encoder`, so that several batches can follow each other in one command buffer.
   */
  copyFeatures(encoder: GPUCommandEncoder, source: GPUBuffer, offset: number, rows: number): void {
    if (!(Number.isInteger(rows) && rows >= 1 && rows <= this.capacity)) throw new Error(`copyFeatures: rows must be from 1 to ${this.capacity}, not ${rows}`);
    const bytes = rows * this.width * 4;
    if (bytes > 0) encoder.copyBufferToBuffer(source, offset, this.featuresBuf, 0, bytes);
    this.rowsSet = rows;
  }

  /** Recomputes the gate matrices for `params` and uploads them. */
  setParams(params: ArrayLike<number> | undefined): void {
    this.gpu.device.queue.writeBuffer(this.matsBuf, 0, this.table(params));
  }
}
