import { QmoeInputError } from '../errors.js';
import { storageBuffer, uniformBuffer, writeU32 } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';

/** Rows one pass of shaders/reduce_rows.wgsl folds into one. */
const ROWS_PER_GROUP = 256;
const COLS_PER_GROUP = 32;

/**
 * Column sums of row-major `rows x cols` f32 matrices on the GPU (shaders/reduce_rows.wgsl): each
 * pass sums blocks of 256 rows, repeated on the partial sums until one row is left. Made once for
 * up to `maxRows` rows; the caller destroys it.
 */
export class ColumnReducer {
  private readonly buffers: GPUBuffer[] = [];
  private readonly scratch: [GPUBuffer, GPUBuffer];
  private readonly metas: GPUBuffer[] = [];
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 0;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly pipeline: GPUComputePipeline,
    readonly maxRows: number,
    readonly cols: number,
  ) {
    const blocks = Math.ceil(maxRows / ROWS_PER_GROUP);
    const scratchBytes = Math.max(1, blocks) * cols * 4;
    this.scratch = [storageBuffer(gpu.device, scratchBytes, 'reduce scratch 0'), storageBuffer(gpu.device, scratchBytes, 'reduce scratch 1')];
    this.buffers.push(...this.scratch);
    let rows = maxRows;
    do {
      const meta = uniformBuffer(gpu.device, 16, 'reduce meta');
      this.metas.push(meta);
      this.buffers.push(meta);
      rows = Math.ceil(rows / ROWS_PER_GROUP);
    } while (rows > 1);
  }

  static async create(gpu: GpuContext, maxRows: number, cols: number): Promise<ColumnReducer> {
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new QmoeInputError('maxRows', maxRows, 'must be a positive integer');
    if (!Number.isInteger(cols) || cols < 1) throw new QmoeInputError('cols', cols, 'must be a positive integer');
    return new ColumnReducer(gpu, await getPipeline(gpu, 'reduce_rows'), maxRows, cols);
  }

  private id(b: GPUBuffer): number {
    let id = this.ids.get(b);
    if (id === undefined) this.ids.set(b, (id = this.nextId++));
    return id;
  }

  private bindGroup(input: GPUBuffer, output: GPUBuffer, meta: GPUBuffer): GPUBindGroup {
    const key = `${this.id(input)} ${this.id(output)} ${this.id(meta)}`;
    let bg = this.groups.get(key);
    if (!bg) {
      bg = this.gpu.device.createBindGroup({
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: input } },
          { binding: 1, resource: { buffer: output } },
          { binding: 2, resource: { buffer: meta } },
        ],
      });
      this.groups.set(key, bg);
    }
    return bg;
  }

  /**
   * Encodes the column sums of the first `rows` rows of `input` (rows x cols f32) into the first
   * `cols` floats of `output`. Call at most once per submitted command buffer (the passes' sizes
   * are written to uniform buffers at encode time).
   */
  encode(pass: GPUComputePassEncoder, input: GPUBuffer, rows: number, output: GPUBuffer): void {
    if (!Number.isInteger(rows) || rows < 1 || rows > this.maxRows) throw new QmoeInputError('rows', rows, `must be from 1 to ${this.maxRows}`);
    const maxDim = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.ceil(this.cols / COLS_PER_GROUP);
    let source = input;
    for (let level = 0; ; level++) {
      const blocks = Math.ceil(rows / ROWS_PER_GROUP);
      const target = blocks === 1 ? output : this.scratch[level % 2];
      const y = Math.min(blocks, maxDim);
      const z = Math.ceil(blocks / y);
      writeU32(this.gpu.device, this.metas[level], [rows, this.cols, y]);
      pass.setPipeline(this.pipeline);
      pass.setBindGroup(0, this.bindGroup(source, target, this.metas[level]));
      pass.dispatchWorkgroups(x, y, z);
      if (blocks === 1) return;
      source = target;
      rows = blocks;
    }
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
    this.groups.clear();
  }
}
