import type { Circuit } from '../circuit/types.js';
import { validateCircuit } from '../circuit/validate.js';
import { QmoeInputError, checkInt } from '../errors.js';
import { grid, storageBuffer, uniformBuffer, writeU32 } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { OUTPUT_KIND } from '../gpu/op-codes.js';
import { getPipeline } from '../gpu/pipelines.js';
import type { CircuitOutput } from './backend.js';
import { type CompiledCircuit, compileCircuit, derivativeOffset, matrixAndDerivativeTable, paramOfMatrix } from './compile.js';
import { outputCount, validateOutput } from './experts.js';
import { ColumnReducer } from './reduce.js';

/** Workgroup shape of the fused adjoint kernel (shaders/adjoint.wgsl). */
export interface AdjointShape {
  groupSize: number;
  samplesPerGroup: number;
  /** Invocations per sample in the reduction: min(2^(n-1), groupSize). */
  seg: number;
}

/** Bytes of workgroup memory the adjoint kernel needs besides its states: the reduction scratch. */
function scratchBytes(groupSize: number): number {
  return groupSize * 4;
}

/**
 * The fused adjoint kernel's shape for an n-qubit circuit, or null when two states (psi and
 * lambda) plus the reduction scratch do not fit in the adapter's workgroup memory.
 */
export function adjointShape(gpu: GpuContext, qubits: number, real: boolean): AdjointShape | null {
  const dim = 2 ** qubits;
  const stateBytes = 2 * dim * (real ? 4 : 8);
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  const maxThreads = Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX);
  const pairs = dim / 2;
  const groupSize = Math.min(maxThreads, Math.max(64, pairs));
  if (stateBytes + scratchBytes(groupSize) > storage) return null;
  const samplesPerGroup = Math.max(1, Math.min(Math.floor(groupSize / pairs), Math.floor((storage - scratchBytes(groupSize)) / stateBytes)));
  return { groupSize, samplesPerGroup, seg: Math.min(pairs, groupSize) };
}

/** Most qubits the fused adjoint kernel holds on this adapter. */
export function maxAdjointQubits(gpu: GpuContext, real: boolean): number {
  let n = 0;
  while (n < 30 && adjointShape(gpu, n + 1, real) !== null) n++;
  return n;
}

/** Throws the QmoeInputError of a circuit too large for the fused adjoint kernel. */
export function checkAdjointFits(gpu: GpuContext, qubits: number, real: boolean): AdjointShape {
  const shape = adjointShape(gpu, qubits, real);
  if (shape) return shape;
  const max = maxAdjointQubits(gpu, real);
  throw new QmoeInputError(
    'circuit.qubits',
    qubits,
    `the adjoint kernel holds two ${real ? 'real' : 'complex'} states in workgroup memory (${gpu.limits.maxComputeWorkgroupStorageSize} bytes): at most ${max} qubits on this adapter`,
  );
}

export interface GradientRunnerOptions {
  /** Also write dL/dfeatures per row into `featureGrad`. */
  features?: boolean;
  /** Keep complex kernels for real circuits (tests). */
  forceComplex?: boolean;
}

/**
 * The adjoint gradient of a circuit prepared on the GPU for up to `capacity` rows, for training:
 * buffers, pipelines and bind groups are made once. Per step: setFeatures, setParams,
 * setUpstream (dL/dout, rows x outputs, from the host or a GPU buffer), then encode(encoder)
 * leaves the batch-summed dL/dparams in `paramGrad` (f32, circuit.params long), the per-sample
 * ones in `perSampleParamGrad` (rows x params) and, when asked, dL/dfeatures in `featureGrad`
 * (rows x features). Nothing is read back. The caller destroys the runner.
 */
export class GradientRunner {
  readonly compiled: CompiledCircuit;
  readonly shape: AdjointShape;
  readonly outputsPerRow: number;
  /** dL/dparams summed over the rows of the last encode: circuit.params f32. */
  readonly paramGrad: GPUBuffer;
  /** dL/dparams per row: rows x circuit.params f32. */
  readonly perSampleParamGrad: GPUBuffer;
  /** dL/dfeatures per row (rows x circuit.features f32), when the runner was made with `features`. */
  readonly featureGrad: GPUBuffer | null;
  private readonly buffers: GPUBuffer[] = [];
  private readonly featuresBuf: GPUBuffer;
  private readonly trigBuf: GPUBuffer;
  private readonly matsBuf: GPUBuffer;
  private readonly paramOfBuf: GPUBuffer;
  private readonly opsBuf: GPUBuffer;
  private readonly ownUpstream: GPUBuffer;
  private readonly anglesMeta: GPUBuffer;
  private readonly adjointMeta: GPUBuffer;
  private upstream: GPUBuffer;
  private adjointBg: GPUBindGroup | null = null;
  private rowsSet = 0;
  private anglesPipeline: GPUComputePipeline | null = null;
  private anglesBg: GPUBindGroup | null = null;
  private adjointPipeline!: GPUComputePipeline;
  private reducer: ColumnReducer | null = null;
  private readonly dummy: GPUBuffer;

  private constructor(
    private readonly gpu: GpuContext,
    readonly circuit: Circuit,
    readonly capacity: number,
    readonly output: CircuitOutput,
    readonly withFeatures: boolean,
    forceComplex: boolean,
  ) {
    const { device } = gpu;
    this.compiled = compileCircuit(circuit, forceComplex);
    this.shape = checkAdjointFits(gpu, circuit.qubits, this.compiled.real);
    this.outputsPerRow = outputCount(circuit.qubits, output);
    const make = (bytes: number, label: string) => {
      const b = storageBuffer(device, bytes, label);
      this.buffers.push(b);
      return b;
    };
    const F = circuit.features;
    const P = circuit.params;
    this.featuresBuf = make(capacity * F * 4, 'features');
    this.trigBuf = make(capacity * F * 8, 'trig');
    this.matsBuf = make(matrixAndDerivativeTable(this.compiled, undefined).byteLength, 'matrices and derivatives');
    const paramOf = paramOfMatrix(this.compiled);
    this.paramOfBuf = make(paramOf.byteLength, 'param of matrix');
    device.queue.writeBuffer(this.paramOfBuf, 0, paramOf);
    this.opsBuf = make(this.compiled.ops.byteLength, 'ops');
    device.queue.writeBuffer(this.opsBuf, 0, this.compiled.ops);
    this.ownUpstream = make(capacity * this.outputsPerRow * 4, 'dL/dout');
    this.upstream = this.ownUpstream;
    this.perSampleParamGrad = make(capacity * P * 4, 'per-sample dL/dparams');
    this.paramGrad = make(P * 4, 'dL/dparams');
    this.featureGrad = withFeatures ? make(capacity * F * 4, 'dL/dfeatures') : null;
    this.dummy = make(16, 'no dL/dfeatures');
    this.anglesMeta = uniformBuffer(device, 16, 'angles meta');
    this.adjointMeta = uniformBuffer(device, 32, 'adjoint meta');
    this.buffers.push(this.anglesMeta, this.adjointMeta);
  }

  /**
   * Prepares `circuit` for gradients of batches of up to `capacity` rows. Throws a QmoeInputError
   * when two states do not fit in workgroup memory (see maxAdjointQubits).
   */
  static async create(gpu: GpuContext, circuit: Circuit, capacity: number, output: CircuitOutput, options: GradientRunnerOptions = {}): Promise<GradientRunner> {
    validateCircuit(circuit);
    validateOutput(circuit.qubits, output);
    checkInt('capacity', capacity, 1, 2 ** 26);
    const runner = new GradientRunner(gpu, circuit, capacity, output, options.features === true, options.forceComplex === true);
    try {
      await runner.build();
    } catch (e) {
      runner.destroy();
      throw e;
    }
    return runner;
  }

  private async build(): Promise<void> {
    const { gpu, compiled, circuit } = this;
    if (circuit.features > 0) {
      this.anglesPipeline = await getPipeline(gpu, 'angles');
      this.anglesBg = gpu.device.createBindGroup({
        layout: this.anglesPipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.featuresBuf } },
          { binding: 1, resource: { buffer: this.trigBuf } },
          { binding: 2, resource: { buffer: this.anglesMeta } },
        ],
      });
    }
    this.adjointPipeline = await getPipeline(gpu, 'adjoint', { REAL: compiled.real }, {
      QUBITS: compiled.qubits,
      GROUP_SIZE: this.shape.groupSize,
      SAMPLES_PER_GROUP: this.shape.samplesPerGroup,
      SEG: this.shape.seg,
      OUTPUT_KIND: OUTPUT_KIND[this.output.kind],
    });
    if (circuit.params > 0) {
      this.reducer = await ColumnReducer.create(gpu, this.capacity, circuit.params);
    }
  }

  /** The gate matrix table the kernels read (the GPU trainer rebuilds its trainable entries in place). */
  get matrices(): GPUBuffer {
    return this.matsBuf;
  }

  /** Uploads `rows` input rows (row-major, circuit.features wide). */
  setFeatures(features: Float32Array, rows: number): void {
    if (!Number.isInteger(rows) || rows < 1 || rows > this.capacity) throw new QmoeInputError('rows', rows, `must be from 1 to the runner's capacity ${this.capacity}`);
    const F = this.circuit.features;
    if (F > 0) {
      if (features.length < rows * F) throw new QmoeInputError('features.length', features.length, `must hold rows x features = ${rows * F} numbers`);
      this.gpu.device.queue.writeBuffer(this.featuresBuf, 0, features, 0, rows * F);
    }
    this.rowsSet = rows;
  }

  /** Recomputes the gate matrices and their derivatives for `params` (float64 on the host) and uploads them. */
  setParams(params: ArrayLike<number> | undefined): void {
    this.gpu.device.queue.writeBuffer(this.matsBuf, 0, matrixAndDerivativeTable(this.compiled, params));
  }

  /**
   * The upstream gradient dL/dout, rows x outputsPerRow f32: a Float32Array is uploaded into the
   * runner's own buffer; a GPUBuffer (STORAGE usage) is read in place by every later encode.
   */
  setUpstream(dLdOut: GPUBuffer | Float32Array): void {
    if (dLdOut instanceof Float32Array) {
      const max = this.capacity * this.outputsPerRow;
      if (dLdOut.length > max) throw new QmoeInputError('dLdOut.length', dLdOut.length, `must be at most capacity x outputs = ${max}`);
      this.gpu.device.queue.writeBuffer(this.ownUpstream, 0, dLdOut);
      this.use(this.ownUpstream);
    } else {
      this.use(dLdOut);
    }
  }

  private use(buffer: GPUBuffer): void {
    if (buffer !== this.upstream) this.adjointBg = null;
    this.upstream = buffer;
  }

  private bindGroup(): GPUBindGroup {
    if (!this.adjointBg) {
      this.adjointBg = this.gpu.device.createBindGroup({
        layout: this.adjointPipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.opsBuf } },
          { binding: 1, resource: { buffer: this.matsBuf } },
          { binding: 2, resource: { buffer: this.trigBuf } },
          { binding: 3, resource: { buffer: this.upstream } },
          { binding: 4, resource: { buffer: this.paramOfBuf } },
          { binding: 5, resource: { buffer: this.perSampleParamGrad } },
          { binding: 6, resource: { buffer: this.featureGrad ?? this.dummy } },
          { binding: 7, resource: { buffer: this.adjointMeta } },
        ],
      });
    }
    return this.adjointBg;
  }

  /** Encodes angles, the adjoint kernel and the batch reduction for the rows last uploaded. */
  encode(encoder: GPUCommandEncoder): void {
    const rows = this.rowsSet;
    if (rows === 0) throw new Error('GradientRunner.encode: call setFeatures first');
    const need = rows * this.outputsPerRow * 4;
    if (this.upstream.size < need) throw new QmoeInputError('dLdOut buffer size', this.upstream.size, `must hold rows x outputs x 4 = ${need} bytes`);
    const { device } = this.gpu;
    const maxDim = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    const { circuit, compiled } = this;
    const pass = encoder.beginComputePass({ label: 'adjoint gradient' });
    if (this.anglesPipeline) {
      const [x, y] = grid(Math.ceil((rows * circuit.features) / 256), maxDim);
      writeU32(device, this.anglesMeta, [rows * circuit.features, x]);
      pass.setPipeline(this.anglesPipeline);
      pass.setBindGroup(0, this.anglesBg!);
      pass.dispatchWorkgroups(x, y);
    }
    const [x, y] = grid(Math.ceil(rows / this.shape.samplesPerGroup), maxDim);
    writeU32(device, this.adjointMeta, [
      rows,
      circuit.features,
      compiled.ops.length / 4,
      this.outputsPerRow,
      x,
      circuit.params,
      derivativeOffset(compiled),
      this.featureGrad ? 1 : 0,
    ]);
    pass.setPipeline(this.adjointPipeline);
    pass.setBindGroup(0, this.bindGroup());
    pass.dispatchWorkgroups(x, y);
    this.reducer?.encode(pass, this.perSampleParamGrad, rows, this.paramGrad);
    pass.end();
  }

  /** Runs encode in its own command buffer (submits; does not wait). */
  dispatch(): void {
    const encoder = this.gpu.device.createCommandEncoder();
    this.encode(encoder);
    this.gpu.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
    this.reducer?.destroy();
    this.reducer = null;
  }
}
