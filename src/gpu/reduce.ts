import { QmoeInputError } from '../errors.js';
import { BufferSet, type Uniform } from './buffer-set.js';
import type { GpuContext } from './context.js';
import { type Kernel, bindGroup, getKernel } from './kernel.js';
import { KERNELS } from './kernels.js';

/** Rows one pass of shaders/reduce_rows.wgsl folds into one. */
const ROWS_PER_GROUP = 256;
const COLS_PER_GROUP = 32;

/**
 * Column sums of row-major `rows x cols` f32 matrices on the GPU (shaders/reduce_rows.wgsl): each
 * pass sums blocks of 256 rows, repeated on the partial sums until one row is left. Made once for
 * up to `maxRows` rows; the caller destroys it.
 */
export class ColumnReducer {
  private readonly buffers: BufferSet;
  private readonly scratch: [GPUBuffer, GPUBuffer];
  private readonly metas: Uniform<typeof KERNELS.reduce_rows.structs.Meta>[] = [];
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 0;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly kernel: Kernel<'reduce_rows'>,
    readonly maxRows: number,
    readonly cols: number,
  ) {
    this.buffers = new BufferSet(gpu, `the column reducer (${maxRows} x ${cols})`);
    const blocks = Math.ceil(maxRows / ROWS_PER_GROUP);
    const scratchBytes = Math.max(1, blocks) * cols * 4;
    this.scratch = [this.buffers.storage('reduce scratch 0', scratchBytes), this.buffers.storage('reduce scratch 1', scratchBytes)];
    let rows = maxRows;
    do {
      this.metas.push(this.buffers.uniform(KERNELS.reduce_rows.structs.Meta, 'reduce meta'));
      rows = Math.ceil(rows / ROWS_PER_GROUP);
    } while (rows > 1);
  }

  static async create(gpu: GpuContext, maxRows: number, cols: number): Promise<ColumnReducer> {
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new QmoeInputError('maxRows', maxRows, 'must be a positive integer');
    if (!Number.isInteger(cols) || cols < 1) throw new QmoeInputError('cols', cols, 'must be a positive integer');
    const reducer = new ColumnReducer(gpu, await getKernel(gpu, 'reduce_rows'), maxRows, cols);
    try {
      await reducer.buffers.ready();
    } catch (e) {
      reducer.destroy();
      throw e;
    }
    return reducer;
  }

  private id(b: GPUBuffer): number {
    let id = this.ids.get(b);
    if (id === undefined) this.ids.set(b, (id = this.nextId++));
    return id;
  }

  private bindGroup(input: GPUBuffer, output: GPUBuffer, level: number): GPUBindGroup {
    const key = `${this.id(input)} ${this.id(output)} ${level}`;
    let bg = this.groups.get(key);
    if (!bg) {
      bg = bindGroup(this.gpu, this.kernel, { matrix: input, out: output, meta_: this.metas[level].buffer });
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
      this.metas[level].write({ rows, cols: this.cols, groups_y: y });
      pass.setPipeline(this.kernel.pipeline);
      pass.setBindGroup(0, this.bindGroup(source, target, level));
      pass.dispatchWorkgroups(x, y, z);
      if (blocks === 1) return;
      source = target;
      rows = blocks;
    }
  }

  destroy(): void {
    this.buffers.destroy();
    this.groups.clear();
  }
}
