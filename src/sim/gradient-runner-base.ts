import type { Circuit } from '../circuit/types.js';
import { validateCircuit } from '../circuit/validate.js';
import { checkInt } from '../errors.js';
import type { AnglesStep } from '../gpu/angles.js';
import { BufferSet } from '../gpu/buffer-set.js';
import { checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { submitEncoded } from '../gpu/kernel.js';
import type { ColumnReducer } from '../gpu/reduce.js';
import type { CircuitOutput } from './backend.js';
import { CircuitInputs } from './circuit-inputs-gpu.js';
import { type CompiledCircuit, matrixAndDerivativeTable } from './compile.js';
import { outputCount, validateOutput } from './experts.js';

/**
 * What both adjoint runners (GradientRunner: states in workgroup memory or registers;
 * GlobalGradientRunner: states in storage buffers) share: the checks and the BufferSet their
 * create() starts with, the matrix-and-derivative table, the upstream and gradient buffers, and
 * their release.
 */
export abstract class GradientRunnerBase extends CircuitInputs {
  readonly outputsPerRow: number;
  /** dL/dparams summed over the rows of the last encode: circuit.params f32. */
  readonly paramGrad: GPUBuffer;
  /** dL/dparams per row: rows x circuit.params f32. */
  readonly perSampleParamGrad: GPUBuffer;
  /** dL/dfeatures per row (rows x circuit.features f32), when the runner was made with `features`. */
  readonly featureGrad: GPUBuffer | null;
  protected readonly ownUpstream: GPUBuffer;
  protected upstream: GPUBuffer;
  protected angles!: AnglesStep;
  protected reducer: ColumnReducer | null = null;

  protected constructor(
    gpu: GpuContext,
    readonly circuit: Circuit,
    capacity: number,
    readonly output: CircuitOutput,
    readonly withFeatures: boolean,
    readonly compiled: CompiledCircuit,
    buffers: BufferSet,
  ) {
    super(gpu, capacity, circuit.features, buffers, { label: 'matrices and derivatives', bytes: matrixAndDerivativeTable(compiled, undefined).byteLength });
    this.outputsPerRow = outputCount(circuit.qubits, output);
    this.ownUpstream = buffers.storage('dL/dout', capacity * this.outputsPerRow * 4);
    this.upstream = this.ownUpstream;
    this.perSampleParamGrad = buffers.storage('per-sample dL/dparams', capacity * circuit.params * 4);
    this.paramGrad = buffers.storage('dL/dparams', circuit.params * 4);
    this.featureGrad = withFeatures ? buffers.storage('dL/dfeatures', capacity * circuit.features * 4) : null;
  }

  /**
   * The arguments' checks of every create(), then the runner's BufferSet, named `what` with the
   * circuit's size (the name in out-of-memory errors).
   */
  protected static checkedBuffers(gpu: GpuContext, circuit: Circuit, capacity: number, output: CircuitOutput, what: string): BufferSet {
    validateCircuit(circuit);
    validateOutput(circuit.qubits, output);
    checkInt('capacity', capacity, 1, 2 ** 26);
    checkDevice(gpu);
    return new BufferSet(gpu, `${what} (${circuit.qubits} qubits, ${capacity} row${capacity === 1 ? '' : 's'})`);
  }

  /** Makes the runner and builds its kernels; one that fails is destroyed with its buffers. */
  protected static settle<R extends GradientRunnerBase>(buffers: BufferSet, make: () => R): Promise<R> {
    let runner: R | undefined;
    return buffers.settle(
      async () => {
        runner = make();
        await runner.build();
        return runner;
      },
      () => runner?.destroy(),
    );
  }

  /** Creates the kernels and the buffers that depend on them (called once, by settle). */
  protected abstract build(): Promise<void>;

  protected table(params: ArrayLike<number> | undefined): Float32Array {
    return matrixAndDerivativeTable(this.compiled, params);
  }

  /** Records the gradient of the rows last uploaded into `encoder`. */
  abstract encode(encoder: GPUCommandEncoder): void;

  /** Runs encode in its own command buffer (submits; does not wait). */
  dispatch(): void {
    submitEncoded(this.gpu, (encoder) => this.encode(encoder));
  }

  destroy(): void {
    this.buffers.destroy();
    this.reducer?.destroy();
    this.reducer = null;
  }
}
