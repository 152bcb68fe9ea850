import type { Circuit } from '../circuit/types.js';
import { validateCircuit } from '../circuit/validate.js';
import { QmoeGpuError, QmoeInputError, checkInt } from '../errors.js';
import { readFloats } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import type { Backend, BatchInput, CircuitOutput, GradientOptions, GradientResult } from './backend.js';
import { compileCircuit } from './compile.js';
import { validateInput } from './input.js';
import { CircuitRunner, fusedShape, maxBindingBytes, type KernelPath, type RunnerOutput } from './runner.js';

/** Most numbers one call returns (a Float32Array of 4 GiB). */
export const MAX_RESULT_ELEMENTS = 2 ** 30;

export interface WebGpuBackendOptions {
  /** Kernel path: 'auto' takes the fused kernel when a state fits in workgroup memory. */
  path?: 'auto' | KernelPath;
  /** 'auto' runs real-only kernels when every gate is real; 'never' keeps complex ones. */
  real?: 'auto' | 'never';
  /** Largest GPU memory one chunk of a batch may use; larger batches are split. */
  maxChunkBytes?: number;
}

/** The WebGPU backend: f32 state vectors of a whole batch, simulated by the kernels in shaders/. */
export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  private readonly options: Required<WebGpuBackendOptions>;

  constructor(readonly gpu: GpuContext, options: WebGpuBackendOptions = {}) {
    this.options = { path: 'auto', real: 'auto', maxChunkBytes: 256 * 2 ** 20, ...options };
  }

  async states(circuit: Circuit, input: BatchInput): Promise<Float32Array> {
    const out = await this.run(circuit, input, { kind: 'states' });
    if (!compileCircuit(circuit, this.options.real === 'never').real) return out;
    const complex = new Float32Array(out.length * 2);
    for (let i = 0; i < out.length; i++) complex[2 * i] = out[i];
    return complex;
  }

  probabilities(circuit: Circuit, input: BatchInput): Promise<Float32Array> {
    return this.run(circuit, input, { kind: 'probabilities' });
  }

  async expertProbabilities(circuit: Circuit, input: BatchInput, experts: number): Promise<Float32Array> {
    validateCircuit(circuit);
    checkInt('experts', experts, 1, 2 ** circuit.qubits);
    return this.run(circuit, input, { kind: 'experts', experts });
  }

  /** The path a circuit runs on, and why not the fused one when it is not. */
  choosePath(circuit: Circuit, output: RunnerOutput): KernelPath {
    const real = compileCircuit(circuit, this.options.real === 'never').real;
    const fits = fusedShape(this.gpu, circuit.qubits, real) !== null;
    if (this.options.path === 'fused') {
      if (output.kind === 'states') throw new QmoeInputError('path', 'fused', 'state vectors come from the global path only');
      if (!fits) {
        throw new QmoeInputError('circuit.qubits', circuit.qubits, `a state over ${this.gpu.limits.maxComputeWorkgroupStorageSize} bytes does not fit the fused kernel's workgroup memory`);
      }
      return 'fused';
    }
    if (this.options.path === 'global' || output.kind === 'states' || !fits) return 'global';
    return 'fused';
  }

  /**
   * Prepares a circuit for repeated runs on up to `capacity` rows (benchmarks, training).
   * The caller destroys the runner.
   */
  async prepare(circuit: Circuit, capacity: number, output: RunnerOutput = { kind: 'probabilities' }): Promise<CircuitRunner> {
    validateCircuit(circuit);
    const compiled = compileCircuit(circuit, this.options.real === 'never');
    const path = this.choosePath(circuit, output);
    const chunk = this.chunkRows(circuit, compiled.real, output, path);
    checkInt('capacity', capacity, 1, chunk);
    return CircuitRunner.create(this.gpu, compiled, capacity, output, path);
  }

  /** Rows per chunk: what the adapter's binding limits and maxChunkBytes allow. */
  private chunkRows(circuit: Circuit, real: boolean, output: RunnerOutput, path: KernelPath): number {
    const n = circuit.qubits;
    const dim = 2 ** n;
    const limit = maxBindingBytes(this.gpu);
    const stateBytes = dim * (real ? 4 : 8);
    if (path === 'global' && stateBytes > limit) {
      const maxQubits = Math.floor(Math.log2(limit / (real ? 4 : 8)));
      throw new QmoeInputError('circuit.qubits', n, `one ${n}-qubit state needs ${stateBytes} bytes, over this adapter's storage binding limit of ${limit} bytes (at most ${maxQubits} qubits)`);
    }
    const outputs = output.kind === 'experts' ? output.experts : dim;
    const perRow = {
      state: path === 'global' ? stateBytes : 0,
      out: output.kind === 'states' ? 0 : outputs * 4,
      trig: circuit.features * 8,
    };
    const rowBytes = perRow.state + perRow.out + circuit.features * 12;
    let rows = Math.floor(this.options.maxChunkBytes / rowBytes);
    for (const bytes of Object.values(perRow)) if (bytes > 0) rows = Math.min(rows, Math.floor(limit / bytes));
    const maxGroups = this.gpu.limits.maxComputeWorkgroupsPerDimension ** 2;
    rows = Math.min(rows, path === 'fused' ? maxGroups * fusedShape(this.gpu, n, real)!.samplesPerGroup : Math.floor((maxGroups * 512) / dim));
    return Math.max(1, rows);
  }

  private async run(circuit: Circuit, input: BatchInput, output: RunnerOutput): Promise<Float32Array> {
    validateCircuit(circuit);
    validateInput(circuit, input);
    if (this.gpu.lostReason) throw new QmoeGpuError(`the GPU device was lost (${this.gpu.lostReason})`);
    const compiled = compileCircuit(circuit, this.options.real === 'never');
    const path = this.choosePath(circuit, output);
    const chunk = Math.min(input.rows, this.chunkRows(circuit, compiled.real, output, path));
    const dim = 2 ** circuit.qubits;
    const perRowFloats = output.kind === 'states' ? dim * (compiled.real ? 1 : 2) : output.kind === 'experts' ? output.experts : dim;
    const total = input.rows * perRowFloats;
    if (total > MAX_RESULT_ELEMENTS) {
      throw new QmoeInputError('input.rows', input.rows, `the result would hold ${total} numbers, over the limit of ${MAX_RESULT_ELEMENTS} per call: split the batch`);
    }
    const runner = await CircuitRunner.create(this.gpu, compiled, chunk, output, path);
    try {
      const result = new Float32Array(total);
      const features = Float32Array.from(input.features ?? []);
      runner.setParams(input.params);
      for (let start = 0; start < input.rows; start += chunk) {
        const rows = Math.min(chunk, input.rows - start);
        runner.setFeatures(features.subarray(start * circuit.features, (start + rows) * circuit.features), rows);
        runner.dispatch();
        const part = await readFloats(this.gpu.device, runner.output, rows * runner.outputBytesPerRow);
        result.set(part, start * perRowFloats);
      }
      if (this.gpu.lostReason) throw new QmoeGpuError(`the GPU device was lost (${this.gpu.lostReason})`);
      return result;
    } finally {
      runner.destroy();
    }
  }

  async evaluate(_circuit: Circuit, _input: BatchInput, _output: CircuitOutput): Promise<Float32Array> {
    throw new Error('evaluate: not implemented yet');
  }

  async gradient(_circuit: Circuit, _input: BatchInput, _output: CircuitOutput, _dLdOut: ArrayLike<number>, _options?: GradientOptions): Promise<GradientResult> {
    throw new Error('gradient: not implemented yet');
  }

  dispose(): void {}
}
