import { QmoeInputError } from '../errors.js';
import { grid, storageBuffer, uniformBuffer, writeU32 } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import { type CompiledCircuit, matrixTable } from './compile.js';
import { expertBounds } from './experts.js';

/** What a runner leaves in its output buffer per row. */
export type RunnerOutput = { kind: 'probabilities' } | { kind: 'experts'; experts: number } | { kind: 'expectZ' } | { kind: 'states' };

/** Which kernels run the circuit: the fused workgroup kernel or one global-memory pass per gate. */
export type KernelPath = 'fused' | 'global';

/** Tuning of the fused kernel's workgroups (benchmarks); the defaults suit the GPUs measured. */
export interface FusedTuning {
  /**
   * Invocations per sample (a power of two). Default 2^n / 8, one per 8-amplitude cube: fastest
   * on the H200 for n = 2 to 12 (bench/RESULTS.md), several samples per workgroup for small n.
   */
  threadsPerSample?: number;
  /** Invocations per workgroup (default 64 to 256). */
  groupSize?: number;
  /** Group commuting gates into passes (src/sim/passes.ts; default true); false: one barrier per gate. */
  grouping?: boolean;
}

/** Workgroup shape of the fused kernel for an n-qubit state, or null when a state does not fit. */
export function fusedShape(gpu: GpuContext, qubits: number, real: boolean, tuning: FusedTuning = {}): { groupSize: number; samplesPerGroup: number } | null {
  const dim = 2 ** qubits;
  const ampBytes = real ? 4 : 8;
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  if (dim * ampBytes > storage) return null;
  const maxThreads = Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX);
  const perSample = Math.max(1, Math.min(tuning.threadsPerSample ?? dim / 8, dim / 2));
  const groupSize = Math.min(maxThreads, tuning.groupSize ?? Math.max(64, perSample));
  const samplesPerGroup = Math.max(1, Math.min(Math.floor(groupSize / perSample), Math.floor(storage / (dim * ampBytes))));
  return { groupSize, samplesPerGroup };
}

/** Largest state the global path holds: bytes of one storage binding. */
export function maxBindingBytes(gpu: GpuContext): number {
  return Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
}

/**
 * A circuit prepared on the GPU for up to `capacity` rows: buffers, pipelines and bind groups are
 * made once, so repeated runs (benchmarks, training) only upload inputs and dispatch.
 */
export class CircuitRunner {
  readonly outputsPerRow: number;
  /** The buffer the output is left in: f32 per output, or amplitudes for `states`. */
  readonly output: GPUBuffer;
  readonly outputBytesPerRow: number;
  private readonly buffers: GPUBuffer[] = [];
  private readonly featuresBuf: GPUBuffer;
  private readonly matsBuf: GPUBuffer;
  private readonly metaBufs: { angles: GPUBuffer; circuit: GPUBuffer; init: GPUBuffer; measure: GPUBuffer };
  private readonly steps: ((pass: GPUComputePassEncoder, rows: number) => void)[] = [];
  private rowsSet = 0;

  private constructor(
    private readonly gpu: GpuContext,
    readonly compiled: CompiledCircuit,
    readonly capacity: number,
    readonly kind: RunnerOutput,
    readonly path: KernelPath,
    private readonly tuning: FusedTuning,
  ) {
    const { device } = gpu;
    const dim = 2 ** compiled.qubits;
    const ampBytes = compiled.real ? 4 : 8;
    this.outputsPerRow = kind.kind === 'experts' ? kind.experts : kind.kind === 'expectZ' ? compiled.qubits : dim;
    const make = (bytes: number, label: string) => {
      const b = storageBuffer(device, bytes, label);
      this.buffers.push(b);
      return b;
    };
    this.featuresBuf = make(capacity * compiled.features * 4, 'features');
    this.matsBuf = make(matrixTable(compiled, undefined).byteLength, 'matrices');
    this.metaBufs = {
      angles: uniformBuffer(device, 16, 'angles meta'),
      circuit: uniformBuffer(device, 32, 'circuit meta'),
      init: uniformBuffer(device, 16, 'init meta'),
      measure: uniformBuffer(device, 16, 'measure meta'),
    };
    this.buffers.push(...Object.values(this.metaBufs));
    if (kind.kind === 'states') {
      this.outputBytesPerRow = dim * ampBytes;
      this.output = path === 'global' ? make(capacity * dim * ampBytes, 'states') : (undefined as never);
    } else {
      this.outputBytesPerRow = this.outputsPerRow * 4;
      this.output = make(capacity * this.outputsPerRow * 4, 'outputs');
    }
  }

  /** Prepares `compiled` for batches of up to `capacity` rows. */
  static async create(gpu: GpuContext, compiled: CompiledCircuit, capacity: number, kind: RunnerOutput, path: KernelPath, tuning: FusedTuning = {}): Promise<CircuitRunner> {
    if (kind.kind === 'states' && path !== 'global') throw new Error('states need the global path');
    const runner = new CircuitRunner(gpu, compiled, capacity, kind, path, tuning);
    await runner.build();
    return runner;
  }

  private async build(): Promise<void> {
    const { gpu, compiled, capacity } = this;
    const { device } = gpu;
    const maxDim = gpu.limits.maxComputeWorkgroupsPerDimension;
    const dim = 2 ** compiled.qubits;
    const real = compiled.real;
    const numOps = compiled.ops.length / 4;
    const opsBuf = storageBuffer(device, compiled.ops.byteLength, 'ops');
    device.queue.writeBuffer(opsBuf, 0, compiled.ops);
    const trigBuf = storageBuffer(device, capacity * compiled.features * 8, 'trig');
    const bounds = this.kind.kind === 'experts' ? expertBounds(dim, this.kind.experts) : new Uint32Array([0, dim]);
    const boundsBuf = storageBuffer(device, bounds.byteLength, 'bounds');
    device.queue.writeBuffer(boundsBuf, 0, bounds);
    this.buffers.push(opsBuf, trigBuf, boundsBuf);

    if (compiled.features > 0) {
      const angles = await getPipeline(gpu, 'angles');
      const bg = device.createBindGroup({
        layout: angles.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.featuresBuf } },
          { binding: 1, resource: { buffer: trigBuf } },
          { binding: 2, resource: { buffer: this.metaBufs.angles } },
        ],
      });
      this.steps.push((pass, rows) => {
        const [x, y] = grid(Math.ceil((rows * compiled.features) / 256), maxDim);
        writeU32(device, this.metaBufs.angles, [rows * compiled.features, x]);
        pass.setPipeline(angles);
        pass.setBindGroup(0, bg);
        pass.dispatchWorkgroups(x, y);
      });
    }

    if (this.path === 'fused') {
      const shape = fusedShape(gpu, compiled.qubits, real, this.tuning)!;
      const pipeline = await getPipeline(gpu, 'statevector', { REAL: real, FUSED: true }, {
        QUBITS: compiled.qubits,
        GROUP_SIZE: shape.groupSize,
        SAMPLES_PER_GROUP: shape.samplesPerGroup,
        ...(this.kind.kind === 'expectZ' ? { EXPECT_Z: 1 } : {}),
      });
      const plan = this.tuning.grouping === false ? compiled.fusedSingle : compiled.fused;
      const fusedOps = storageBuffer(device, plan.ops.byteLength, 'fused ops');
      const passes = storageBuffer(device, plan.passes.byteLength, 'passes');
      device.queue.writeBuffer(fusedOps, 0, plan.ops);
      device.queue.writeBuffer(passes, 0, plan.passes);
      this.buffers.push(fusedOps, passes);
      const numPasses = plan.passes.length / 4;
      const bg = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: fusedOps } },
          { binding: 1, resource: { buffer: this.matsBuf } },
          { binding: 2, resource: { buffer: trigBuf } },
          { binding: 3, resource: { buffer: this.output } },
          { binding: 4, resource: { buffer: this.metaBufs.circuit } },
          { binding: 5, resource: { buffer: boundsBuf } },
          { binding: 6, resource: { buffer: passes } },
        ],
      });
      this.steps.push((pass, rows) => {
        const [x, y] = grid(Math.ceil(rows / shape.samplesPerGroup), maxDim);
        writeU32(device, this.metaBufs.circuit, [rows, compiled.features, numPasses, this.outputsPerRow, x]);
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bg);
        pass.dispatchWorkgroups(x, y);
      });
      return;
    }

    const state = this.kind.kind === 'states' ? this.output : storageBuffer(device, capacity * dim * (real ? 4 : 8), 'states');
    if (state !== this.output) this.buffers.push(state);
    const init = await getPipeline(gpu, 'init_state', { REAL: real });
    const initBg = device.createBindGroup({
      layout: init.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: state } },
        { binding: 1, resource: { buffer: this.metaBufs.init } },
      ],
    });
    this.steps.push((pass, rows) => {
      const [x, y] = grid(Math.ceil((rows * dim) / 256), maxDim);
      writeU32(device, this.metaBufs.init, [rows * dim, dim, x]);
      pass.setPipeline(init);
      pass.setBindGroup(0, initBg);
      pass.dispatchWorkgroups(x, y);
    });
    if (numOps > 0) {
      const apply = await getPipeline(gpu, 'statevector', { REAL: real, FUSED: false }, { QUBITS: compiled.qubits });
      const bg = device.createBindGroup({
        layout: apply.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: opsBuf } },
          { binding: 1, resource: { buffer: this.matsBuf } },
          { binding: 2, resource: { buffer: trigBuf } },
          { binding: 3, resource: { buffer: state } },
          { binding: 4, resource: { buffer: this.metaBufs.circuit } },
        ],
      });
      // One uniform slot per op, each at the device's offset alignment, so a single pass holds every dispatch.
      const align = gpu.limits.minUniformBufferOffsetAlignment;
      const indices = uniformBuffer(device, numOps * align, 'op indices');
      this.buffers.push(indices);
      const words = new Uint32Array((numOps * align) / 4);
      for (let g = 0; g < numOps; g++) words[(g * align) / 4] = g;
      device.queue.writeBuffer(indices, 0, words);
      const opGroups = Array.from({ length: numOps }, (_, g) =>
        device.createBindGroup({
          layout: apply.getBindGroupLayout(1),
          entries: [{ binding: 0, resource: { buffer: indices, offset: g * align, size: 16 } }],
        }),
      );
      this.steps.push((pass, rows) => {
        const [x, y] = grid(Math.ceil((rows * dim) / 2 / 256), maxDim);
        writeU32(device, this.metaBufs.circuit, [rows, compiled.features, numOps, this.outputsPerRow, x]);
        pass.setPipeline(apply);
        pass.setBindGroup(0, bg);
        for (const opGroup of opGroups) {
          pass.setBindGroup(1, opGroup);
          pass.dispatchWorkgroups(x, y);
        }
      });
    }
    if (this.kind.kind === 'states') return;
    const full = this.kind.kind === 'probabilities';
    const measure = await getPipeline(gpu, 'measure', { REAL: real, FULL: full }, this.kind.kind === 'expectZ' ? { EXPECT_Z: 1 } : {});
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: state } },
      { binding: 2, resource: { buffer: this.output } },
      { binding: 3, resource: { buffer: this.metaBufs.measure } },
    ];
    if (!full) entries.push({ binding: 1, resource: { buffer: boundsBuf } });
    const measureBg = device.createBindGroup({ layout: measure.getBindGroupLayout(0), entries });
    this.steps.push((pass, rows) => {
      const [x, y] = grid(Math.ceil((rows * this.outputsPerRow) / 256), maxDim);
      writeU32(device, this.metaBufs.measure, [rows * this.outputsPerRow, this.outputsPerRow, dim, x]);
      pass.setPipeline(measure);
      pass.setBindGroup(0, measureBg);
      pass.dispatchWorkgroups(x, y);
    });
  }

  /** The gate matrix table the kernels read (the GPU trainer rebuilds its trainable entries in place). */
  get matrices(): GPUBuffer {
    return this.matsBuf;
  }

  /** Uploads `rows` input rows (row-major, compiled.features wide). */
  setFeatures(features: Float32Array, rows: number): void {
    if (rows < 1 || rows > this.capacity) throw new QmoeInputError('rows', rows, `must be from 1 to the runner's capacity ${this.capacity}`);
    if (this.compiled.features > 0) this.gpu.device.queue.writeBuffer(this.featuresBuf, 0, features, 0, rows * this.compiled.features);
    this.rowsSet = rows;
  }

  /** Recomputes the gate matrices for `params` (float64 on the host) and uploads them. */
  setParams(params: ArrayLike<number> | undefined): void {
    this.gpu.device.queue.writeBuffer(this.matsBuf, 0, matrixTable(this.compiled, params));
  }

  /** Encodes the whole circuit for the rows last uploaded into `encoder`. */
  encode(encoder: GPUCommandEncoder): void {
    if (this.rowsSet === 0) throw new Error('CircuitRunner.encode: call setFeatures first');
    const pass = encoder.beginComputePass({ label: `circuit ${this.path}` });
    for (const step of this.steps) step(pass, this.rowsSet);
    pass.end();
  }

  /** Runs the circuit once (submits; does not wait). */
  dispatch(): void {
    const encoder = this.gpu.device.createCommandEncoder();
    this.encode(encoder);
    this.gpu.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}
