import type { Circuit } from '../circuit/types.js';
import { validateCircuit } from '../circuit/validate.js';
import { QmoeInputError, checkFiniteResult, checkFloat32Range, checkInt } from '../errors.js';
import { GpuCall } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { SUBGROUP_MAX_REGS } from '../gpu/op-codes.js';
import { allocateSplitting } from '../gpu/split.js';
import type { Backend, BatchInput, CircuitOutput, GradientOptions, GradientResult } from './backend.js';
import { checkFiniteGradient } from './backend-cpu.js';
import { compileCircuit } from './compile.js';
import { outputCount, validateOutput } from './experts.js';
import { checkGpuInput, validateInput } from './input.js';
import { validateUpstream } from './adjoint-cpu.js';
import { adjointShape } from './adjoint-gpu.js';
import { type AdjointPath, type AnyGradientRunner, chooseAdjointPath, createGradientRunner } from './adjoint-global.js';
import { CircuitRunner, fusedShape, maxBindingBytes, type FusedTuning, type GlobalTuning, type KernelPath, type RunnerOutput } from './statevector-gpu.js';
import { subgroupShape, type SubgroupTuning } from './subgroup-gpu.js';

const SUBGROUP_REGS_TEXT = `${SUBGROUP_MAX_REGS} amplitudes`;

/** Most numbers one call returns (a Float32Array of 4 GiB). */
export const MAX_RESULT_ELEMENTS = 2 ** 30;

export interface WebGpuBackendOptions {
  /**
   * Kernel path: 'auto' takes the subgroup kernel when the adapter has subgroups and a state fits
   * the registers of one (src/sim/subgroup-gpu.ts), else the fused kernel when it fits in workgroup
   * memory, else the global path. Gradients: 'subgroup' or 'fused' as for the forward, else the fused adjoint.
   */
  path?: 'auto' | KernelPath;
  /** 'auto' runs real-only kernels when every gate is real; 'never' keeps complex ones. */
  real?: 'auto' | 'never';
  /** Largest GPU memory one chunk of a batch may use; larger batches are split. */
  maxChunkBytes?: number;
  /** Workgroup shape of the fused kernel (benchmarks). */
  fused?: FusedTuning;
  /** Lanes per sample of the subgroup kernels (tests, benchmarks). */
  subgroup?: SubgroupTuning;
  /** Fusion of the global path, forward and global adjoint (tests, benchmarks). */
  global?: GlobalTuning;
  /** Adjoint kernel: 'auto' takes the workgroup one when two states fit in workgroup memory, else the global one. */
  adjoint?: 'auto' | AdjointPath;
  /** GPU memory of the global adjoint's states in flight (default: the adapter's binding limits); larger batches run in chunks. */
  adjointBudgetBytes?: number;
}

/** The WebGPU backend: f32 state vectors of a whole batch, simulated by the kernels in shaders/. */
export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  private readonly options: Required<WebGpuBackendOptions>;

  constructor(readonly gpu: GpuContext, options: WebGpuBackendOptions = {}) {
    this.options = { path: 'auto', real: 'auto', maxChunkBytes: 256 * 2 ** 20, fused: {}, subgroup: {}, global: {}, adjoint: 'auto', adjointBudgetBytes: 0, ...options };
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
    if (this.options.path === 'subgroup') {
      if (output.kind === 'states') throw new QmoeInputError('path', 'subgroup', 'state vectors come from the global path only');
      if (!subgroupShape(this.gpu, circuit.qubits, this.options.subgroup)) {
        const why = this.gpu.subgroups ? `a state over ${SUBGROUP_REGS_TEXT} per lane of the adapter's smallest subgroup (${this.gpu.subgroups.minSize} lanes)` : 'this adapter has no subgroups feature';
        throw new QmoeInputError('circuit.qubits', circuit.qubits, `the subgroup kernel does not apply: ${why}`);
      }
      return 'subgroup';
    }
    if (this.options.path === 'auto' && output.kind !== 'states' && subgroupShape(this.gpu, circuit.qubits, this.options.subgroup)) return 'subgroup';
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
    return CircuitRunner.create(this.gpu, compiled, capacity, output, path, this.tuning());
  }

  private tuning() {
    return { ...this.options.fused, ...this.options.subgroup, ...this.options.global };
  }

  /** Most rows prepare() accepts for `circuit` and `output` (the adapter's binding limits and maxChunkBytes). */
  maxPrepareRows(circuit: Circuit, output: RunnerOutput = { kind: 'probabilities' }): number {
    validateCircuit(circuit);
    const real = compileCircuit(circuit, this.options.real === 'never').real;
    return this.chunkRows(circuit, real, output, this.choosePath(circuit, output));
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
    const outputs = output.kind === 'states' ? 0 : outputCount(n, output);
    const perRow = {
      state: path === 'global' ? stateBytes : 0,
      out: output.kind === 'states' ? 0 : outputs * 4,
      trig: circuit.features * 8,
    };
    const rowBytes = perRow.state + perRow.out + circuit.features * 12;
    let rows = Math.floor(this.options.maxChunkBytes / rowBytes);
    for (const bytes of Object.values(perRow)) if (bytes > 0) rows = Math.min(rows, Math.floor(limit / bytes));
    const maxGroups = this.gpu.limits.maxComputeWorkgroupsPerDimension ** 2;
    const perGroup =
      path === 'subgroup' ? subgroupShape(this.gpu, n, this.options.subgroup)!.samplesPerGroup : path === 'fused' ? fusedShape(this.gpu, n, real, this.options.fused)!.samplesPerGroup : 0;
    rows = Math.min(rows, path === 'global' ? Math.floor((maxGroups * 512) / dim) : maxGroups * perGroup);
    return Math.max(1, rows);
  }

  private async run(circuit: Circuit, input: BatchInput, output: RunnerOutput): Promise<Float32Array> {
    validateCircuit(circuit);
    validateInput(circuit, input);
    checkGpuInput(circuit, input);
    const call = new GpuCall(this.gpu, output.kind === 'states' ? 'the state vectors' : `the circuit's ${output.kind === 'expectZ' ? '<Z> values' : output.kind}`);
    const compiled = compileCircuit(circuit, this.options.real === 'never');
    const path = this.choosePath(circuit, output);
    const dim = 2 ** circuit.qubits;
    const perRowFloats = output.kind === 'states' ? dim * (compiled.real ? 1 : 2) : outputCount(circuit.qubits, output);
    const total = input.rows * perRowFloats;
    if (total > MAX_RESULT_ELEMENTS) {
      throw new QmoeInputError('input.rows', input.rows, `the result would hold ${total} numbers, over the limit of ${MAX_RESULT_ELEMENTS} per call: split the batch`);
    }
    const first = Math.min(input.rows, this.chunkRows(circuit, compiled.real, output, path));
    const { value: runner, rows: chunk } = await allocateSplitting(first, (rows) => CircuitRunner.create(this.gpu, compiled, rows, output, path, this.tuning()));
    try {
      const result = new Float32Array(total);
      const features = Float32Array.from(input.features ?? []);
      runner.setParams(input.params);
      for (let start = 0; start < input.rows; start += chunk) {
        const rows = Math.min(chunk, input.rows - start);
        runner.setFeatures(features.subarray(start * circuit.features, (start + rows) * circuit.features), rows);
        call.run(() => runner.dispatch());
        result.set(await call.read(runner.output, rows * runner.outputBytesPerRow), start * perRowFloats);
      }
      checkFiniteResult(call.what, result, perRowFloats);
      return result;
    } finally {
      runner.destroy();
    }
  }

  async evaluate(circuit: Circuit, input: BatchInput, output: CircuitOutput): Promise<Float32Array> {
    validateCircuit(circuit);
    validateOutput(circuit.qubits, output);
    return this.run(circuit, input, output);
  }

  /**
   * Prepares the adjoint gradient of `circuit` for batches of up to `capacity` rows (training).
   * The caller destroys the runner.
   */
  async prepareGradient(circuit: Circuit, capacity: number, output: CircuitOutput, options: GradientOptions = {}): Promise<AnyGradientRunner> {
    validateCircuit(circuit);
    validateOutput(circuit.qubits, output);
    const real = compileCircuit(circuit, this.options.real === 'never').real;
    checkInt('capacity', capacity, 1, this.gradientChunkRows(circuit, real, output, options.features === true));
    return this.gradientRunner(circuit, capacity, output, options.features === true);
  }

  /** The adjoint path of a circuit (the backend's `adjoint` option; exit 2 naming the limit when it cannot fit). */
  adjointPath(circuit: Circuit): AdjointPath {
    return chooseAdjointPath(this.gpu, circuit.qubits, compileCircuit(circuit, this.options.real === 'never').real, this.options.adjoint);
  }

  /**
   * The gradient runner: the workgroup-memory adjoint (its subgroup or fused kernel, as `path`
   * asks; path 'global' keeps the fused one) or the global-memory one, as `adjoint` asks.
   */
  private gradientRunner(circuit: Circuit, capacity: number, output: CircuitOutput, features: boolean): Promise<AnyGradientRunner> {
    const { adjoint, adjointBudgetBytes, real, path, subgroup, global } = this.options;
    const kernel = path === 'subgroup' || path === 'fused' ? path : path === 'auto' ? ('auto' as const) : ('fused' as const);
    return createGradientRunner(this.gpu, circuit, capacity, output, { features, forceComplex: real === 'never', path: adjoint, budgetBytes: adjointBudgetBytes > 0 ? adjointBudgetBytes : undefined, kernel, subgroup, fuse: global?.globalFusion, tileBits: global?.tileBits });
  }

  /** Rows per chunk of a gradient: binding limits, maxChunkBytes and the dispatch grid. */
  private gradientChunkRows(circuit: Circuit, real: boolean, output: CircuitOutput, features: boolean): number {
    const F = circuit.features;
    const perRow = [F * 4, F * 8, outputCount(circuit.qubits, output) * 4, circuit.params * 4, features ? F * 4 : 0];
    const rowBytes = perRow.reduce((a, b) => a + b, 0);
    const limit = maxBindingBytes(this.gpu);
    let rows = rowBytes > 0 ? Math.floor(this.options.maxChunkBytes / rowBytes) : 2 ** 26;
    for (const bytes of perRow) if (bytes > 0) rows = Math.min(rows, Math.floor(limit / bytes));
    const maxGroups = this.gpu.limits.maxComputeWorkgroupsPerDimension ** 2;
    // The workgroup kernel: one workgroup per samplesPerGroup rows; the global one chunks its states itself.
    const path = chooseAdjointPath(this.gpu, circuit.qubits, real, this.options.adjoint);
    if (path === 'workgroup') rows = Math.min(rows, maxGroups * adjointShape(this.gpu, circuit.qubits, real)!.samplesPerGroup);
    rows = Math.min(rows, 2 ** 26);
    return Math.max(1, rows);
  }

  /** Adjoint-method gradient on the GPU (f32; see Backend.gradient), in chunks summed on the host. */
  async gradient(circuit: Circuit, input: BatchInput, output: CircuitOutput, dLdOut: ArrayLike<number>, options: GradientOptions = {}): Promise<GradientResult> {
    validateCircuit(circuit);
    validateInput(circuit, input);
    validateOutput(circuit.qubits, output);
    const outputs = outputCount(circuit.qubits, output);
    validateUpstream(dLdOut, input.rows, outputs);
    checkGpuInput(circuit, input);
    checkFloat32Range(dLdOut, (i) => `dLdOut[row ${Math.floor(i / outputs)}, output ${i % outputs}]`);
    const call = new GpuCall(this.gpu, 'the gradient');
    const withFeatures = options.features === true;
    const real = compileCircuit(circuit, this.options.real === 'never').real;
    const first = Math.min(input.rows, this.gradientChunkRows(circuit, real, output, withFeatures));
    const { value: runner, rows: chunk } = await allocateSplitting(first, (rows) => this.gradientRunner(circuit, rows, output, withFeatures));
    try {
      const F = circuit.features;
      const P = circuit.params;
      const params = new Float64Array(P);
      const featureGrad = withFeatures ? new Float32Array(input.rows * F) : undefined;
      const features = Float32Array.from(input.features ?? []);
      const upstream = Float32Array.from(dLdOut);
      runner.setParams(input.params);
      for (let start = 0; start < input.rows; start += chunk) {
        const rows = Math.min(chunk, input.rows - start);
        runner.setFeatures(features.subarray(start * F, (start + rows) * F), rows);
        runner.setUpstream(upstream.subarray(start * outputs, (start + rows) * outputs));
        call.run(() => runner.dispatch());
        if (P > 0) {
          const part = await call.read(runner.paramGrad, P * 4);
          for (let i = 0; i < P; i++) params[i] += part[i];
        }
        if (featureGrad && F > 0) featureGrad.set(await call.read(runner.featureGrad!, rows * F * 4), start * F);
      }
      await call.check();
      const result: GradientResult = { params: Float32Array.from(params) };
      if (featureGrad) result.features = featureGrad;
      checkFiniteGradient(result, F);
      return result;
    } finally {
      runner.destroy();
    }
  }

  dispose(): void {}
}

