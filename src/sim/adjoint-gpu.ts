import type { Circuit } from '../circuit/types.js';
import { QmoeInputError } from '../errors.js';
import { AnglesStep } from '../gpu/angles.js';
import type { BufferSet } from '../gpu/buffer-set.js';
import type { GpuContext } from '../gpu/context.js';
import { type KernelStep, getKernel, kernelStep } from '../gpu/kernel.js';
import { OUTPUT_KIND } from '../gpu/op-codes.js';
import type { CircuitOutput } from './backend.js';
import { GradientRunnerBase } from './gradient-runner-base.js';
import { type CompiledCircuit, compileCircuit, derivativeOffset, paramOfMatrix } from './compile.js';
import { ColumnReducer } from '../gpu/reduce.js';
import { subgroupShape, type SubgroupShape, type SubgroupTuning } from './subgroup-gpu.js';

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

/**
 * The buffer an adjoint runner reads dL/dout from: a Float32Array (at most `max` numbers) is
 * uploaded into the runner's own buffer `own`; a GPUBuffer is read in place.
 */
export function upstreamBuffer(gpu: GpuContext, own: GPUBuffer, max: number, dLdOut: GPUBuffer | Float32Array): GPUBuffer {
  if (!(dLdOut instanceof Float32Array)) return dLdOut;
  if (dLdOut.length > max) throw new QmoeInputError('dLdOut.length', dLdOut.length, `must be at most capacity x outputs = ${max}`);
  gpu.device.queue.writeBuffer(own, 0, dLdOut);
  return own;
}

export interface GradientRunnerOptions {
  /** Also write dL/dfeatures per row into `featureGrad`. */
  features?: boolean;
  /** Keep complex kernels for real circuits (tests). */
  forceComplex?: boolean;
  /**
   * 'auto' (default): the subgroup kernel (shaders/subgroup_adjoint.wgsl) when the adapter has
   * subgroups and the state fits their registers, else the fused one (workgroup memory).
   */
  path?: 'auto' | 'subgroup' | 'fused';
  /** Lanes per sample of the subgroup kernel (tests). */
  subgroup?: SubgroupTuning;
}

/**
 * The adjoint gradient of a circuit prepared on the GPU for up to `capacity` rows, for training:
 * buffers, pipelines and bind groups are made once. Per step: setFeatures, setParams,
 * setUpstream (dL/dout, rows x outputs, from the host or a GPU buffer), then encode(encoder)
 * leaves the batch-summed dL/dparams in `paramGrad` (f32, circuit.params long), the per-sample
 * ones in `perSampleParamGrad` (rows x params) and, when asked, dL/dfeatures in `featureGrad`
 * (rows x features). Nothing is read back. The caller destroys the runner.
 */
export class GradientRunner extends GradientRunnerBase {
  /** Which adjoint kernel runs: 'subgroup' (states in registers) or 'fused' (states in workgroup memory). */
  readonly path: 'subgroup' | 'fused';
  readonly shape: AdjointShape;
  /** The subgroup kernel's shape when path is 'subgroup'. */
  readonly subgroup: SubgroupShape | null;
  private adjoint!: KernelStep<'adjoint' | 'subgroup_adjoint'>;

  private constructor(gpu: GpuContext, circuit: Circuit, capacity: number, output: CircuitOutput, withFeatures: boolean, compiled: CompiledCircuit, buffers: BufferSet, options: GradientRunnerOptions) {
    super(gpu, circuit, capacity, output, withFeatures, compiled, buffers);
    this.shape = checkAdjointFits(gpu, circuit.qubits, this.compiled.real);
    const path = options.path ?? 'auto';
    this.subgroup = path === 'fused' ? null : subgroupShape(gpu, circuit.qubits, options.subgroup);
    if (path === 'subgroup' && !this.subgroup) {
      throw new QmoeInputError('circuit.qubits', circuit.qubits, gpu.subgroups ? "a state over the registers of the adapter's smallest subgroup does not fit the subgroup adjoint kernel" : 'the subgroup adjoint kernel needs the subgroups feature, which this adapter lacks');
    }
    this.path = this.subgroup ? 'subgroup' : 'fused';
  }

  /**
   * Prepares `circuit` for gradients of batches of up to `capacity` rows. Throws a QmoeInputError
   * when two states do not fit in workgroup memory (see maxAdjointQubits), a QmoeGpuMemoryError
   * when a buffer cannot be allocated.
   */
  static async create(gpu: GpuContext, circuit: Circuit, capacity: number, output: CircuitOutput, options: GradientRunnerOptions = {}): Promise<GradientRunner> {
    const buffers = GradientRunnerBase.checkedBuffers(gpu, circuit, capacity, output, 'the gradient runner');
    return GradientRunnerBase.settle(buffers, () => new GradientRunner(gpu, circuit, capacity, output, options.features === true, compileCircuit(circuit, options.forceComplex === true), buffers, options));
  }

  protected async build(): Promise<void> {
    const { gpu, compiled, circuit, buffers } = this;
    this.angles = await AnglesStep.create(buffers, this.featuresBuf, this.capacity * circuit.features);
    const sub = this.subgroup;
    const kernel = sub
      ? await getKernel(gpu, 'subgroup_adjoint', { REAL: compiled.real }, { QUBITS: compiled.qubits, LANES: sub.lanes, GROUP_SIZE: sub.groupSize, OUTPUT_KIND: OUTPUT_KIND[this.output.kind] })
      : await getKernel(gpu, 'adjoint', { REAL: compiled.real }, {
          QUBITS: compiled.qubits,
          GROUP_SIZE: this.shape.groupSize,
          SAMPLES_PER_GROUP: this.shape.samplesPerGroup,
          SEG: this.shape.seg,
          OUTPUT_KIND: OUTPUT_KIND[this.output.kind],
        });
    this.adjoint = kernelStep(buffers, kernel, {
      ops: buffers.storageOf('ops', compiled.ops),
      mats: this.matsBuf,
      trig: this.angles.trig,
      upstream: this.upstream,
      param_of: buffers.storageOf('param of matrix', paramOfMatrix(compiled)),
      grad_params: this.perSampleParamGrad,
      grad_features: this.featureGrad ?? buffers.storage('no dL/dfeatures', 16),
    });
    if (circuit.params > 0) this.reducer = await ColumnReducer.create(gpu, this.capacity, circuit.params);
  }

  /**
   * The upstream gradient dL/dout, rows x outputsPerRow f32: a Float32Array is uploaded into the
   * runner's own buffer; a GPUBuffer (STORAGE usage) is read in place by every later encode.
   */
  setUpstream(dLdOut: GPUBuffer | Float32Array): void {
    const buffer = upstreamBuffer(this.gpu, this.ownUpstream, this.capacity * this.outputsPerRow, dLdOut);
    if (buffer !== this.upstream) this.adjoint.rebind({ upstream: buffer });
    this.upstream = buffer;
  }

  /** Encodes angles, the adjoint kernel and the batch reduction for the rows last uploaded. */
  encode(encoder: GPUCommandEncoder): void {
    const rows = this.rowsSet;
    if (rows === 0) throw new Error('GradientRunner.encode: call setFeatures first');
    const need = rows * this.outputsPerRow * 4;
    if (this.upstream.size < need) throw new QmoeInputError('dLdOut buffer size', this.upstream.size, `must hold rows x outputs x 4 = ${need} bytes`);
    const { circuit, compiled } = this;
    const pass = encoder.beginComputePass({ label: 'adjoint gradient' });
    this.angles.encode(pass, rows * circuit.features);
    this.adjoint.encode(pass, Math.ceil(rows / (this.subgroup ?? this.shape).samplesPerGroup), {
      rows,
      features: circuit.features,
      num_ops: compiled.ops.length / 4,
      outputs: this.outputsPerRow,
      params: circuit.params,
      dmat_offset: derivativeOffset(compiled),
      want_features: this.featureGrad ? 1 : 0,
    });
    this.reducer?.encode(pass, this.perSampleParamGrad, rows, this.paramGrad);
    pass.end();
  }
}
