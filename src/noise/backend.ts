import type { Circuit } from '../circuit/types.js';
import { QmoeInputError, checkFiniteResult, checkInt } from '../errors.js';
import type { Backend, BatchInput, CircuitOutput, GradientOptions, GradientResult } from '../sim/backend.js';
import { CpuBackend } from '../sim/backend-cpu.js';
import { outputCount, validateOutput } from '../sim/experts.js';
import { validateInput } from '../sim/input.js';
import { DENSITY_CPU_MAX_QUBITS } from './density-cpu.js';
import type { GpuContext } from '../gpu/context.js';
import { checkNoisyGradient, noisyGradientCpu } from './gradient-cpu.js';
import { GpuNoiseRunners } from './runner-cache-gpu.js';
import { MAX_SHOTS, sampleShots } from './shots.js';
import { foldOutputs } from '../sim/experts.js';
import { type NoiseModel, type NoiseSchedule, isNoiseless, noiseSchedule, validateNoise } from './model.js';
import { type NoiseMethod, densityMaxQubits, noisyEvaluate } from './simulate.js';
import { MAX_TRAJECTORIES } from './trajectories-cpu.js';

/** Trajectories per row of the noise-aware gradient when none are given. */
export const DEFAULT_GRADIENT_TRAJECTORIES = 32;

export interface NoisyBackendOptions {
  /**
   * Trajectories per row: always for the gradient; for evaluate() only when the exact path cannot
   * serve the circuit (more than DENSITY_CPU_MAX_QUBITS qubits) or `evaluate` is 'trajectories'.
   * Default DEFAULT_GRADIENT_TRAJECTORIES.
   */
  trajectories?: number;
  /** u32 seed of the trajectories' Pauli draws; default 0. */
  seed?: number;
  /** How evaluate() computes the noisy outputs: 'auto' (default: the exact density matrix when small enough, else trajectories). */
  evaluate?: 'auto' | NoiseMethod;
  /** Run the noisy outputs and the noise-aware gradient on this GPU (f32 kernels, the same Pauli draws). */
  gpu?: GpuContext | null;
  /**
   * Rows the GPU runners reserve from the first call (default 1024; fewer when the adapter's chunk
   * budget holds fewer): training batches and evaluation splits up to this size then reuse the
   * same buffers, so noise-aware GPU training allocates nothing after its first step.
   */
  gpuRows?: number;
  /**
   * Finite shots: evaluate() returns outputs estimated from S sampled measurement outcomes per
   * row (frequencies instead of probabilities), as hardware gives them. The gradient stays the
   * noise-aware adjoint gradient of the exact noisy outputs (the shots' expectation).
   */
  shots?: number;
}

/**
 * A Backend that runs every circuit under a depolarizing NoiseModel, in float64 on the CPU.
 *
 * - evaluate / probabilities / expertProbabilities: the noisy outputs, exactly from the density
 *   matrix for circuits of up to DENSITY_CPU_MAX_QUBITS qubits, else the mean of T Monte-Carlo
 *   trajectories (seeded, step counter 0: the same draws on every call, so validation losses are
 *   comparable between epochs).
 * - gradient: the noise-aware adjoint gradient, the mean over T trajectories of the adjoint
 *   gradient of each trajectory's circuit (its Paulis fixed gates; noisyGradientCpu). It is an
 *   unbiased estimate of the gradient of the exact noisy outputs. Every call advances a step
 *   counter, so successive training steps draw fresh Paulis (reproducible from the seed).
 *   With `features`, dL/dfeatures per row too (the same trajectories' mean).
 *   A noiseless model (every rate 0) uses the plain adjoint gradient (the same value, exactly).
 * - states: a noisy circuit has no state vector: an error.
 *
 * With `gpu`, both run on the GPU (src/noise/density-gpu.ts, trajectories-gpu.ts, gradient-gpu.ts):
 * the same draws, in f32, through prepared runners kept across calls (dispose() frees them).
 */
export class NoisyBackend implements Backend {
  /** Where the noisy circuit runs: 'webgpu' with `gpu`, else 'cpu'. */
  readonly kind: 'cpu' | 'webgpu';
  readonly model: NoiseModel;
  readonly trajectories: number;
  readonly seed: number;
  readonly evaluateMethod: 'auto' | NoiseMethod;
  private readonly exact = new CpuBackend();
  private readonly gpu: GpuContext | null;
  private readonly runners: GpuNoiseRunners | null;
  readonly shots: number | null;
  private evaluations = 0;
  private readonly schedules = new WeakMap<Circuit, NoiseSchedule>();
  private steps = 0;

  constructor(model: NoiseModel, options: NoisyBackendOptions = {}) {
    if (typeof model !== 'object' || model === null) throw new QmoeInputError('noise', model, 'must be a noise model { p, p2?, placement?, readout? }');
    this.model = model;
    if (typeof options !== 'object' || options === null) throw new QmoeInputError('options', options, 'must be { trajectories?, seed?, evaluate? }');
    this.trajectories = checkInt('--trajectories', options.trajectories ?? DEFAULT_GRADIENT_TRAJECTORIES, 1, MAX_TRAJECTORIES);
    this.seed = checkInt('seed', options.seed ?? 0, 0, 0xffffffff);
    const method = options.evaluate ?? 'auto';
    if (method !== 'auto' && method !== 'density-matrix' && method !== 'trajectories') {
      throw new QmoeInputError('evaluate', method, "must be 'auto', 'density-matrix' or 'trajectories'");
    }
    this.evaluateMethod = method;
    this.gpu = options.gpu ?? null;
    this.kind = this.gpu ? 'webgpu' : 'cpu';
    this.runners = this.gpu ? new GpuNoiseRunners(this.gpu, checkInt('gpuRows', options.gpuRows ?? 1024, 1, 1 << 26)) : null;
    this.shots = options.shots === undefined ? null : checkInt('--shots', options.shots, 1, MAX_SHOTS);
  }

  /** Number of gradient() calls so far (the trajectories' step counter of the next one, minus 1). */
  get gradientSteps(): number {
    return this.steps;
  }

  private schedule(circuit: Circuit): NoiseSchedule {
    let s = this.schedules.get(circuit);
    if (!s) {
      s = noiseSchedule(circuit, this.model);
      this.schedules.set(circuit, s);
    }
    return s;
  }

  async states(circuit: Circuit): Promise<Float64Array> {
    validateNoise(this.model, circuit);
    throw new QmoeInputError('states', 'noisy circuit', 'a circuit under noise is a mixed state and has no state vector; use probabilities() or evaluate()');
  }

  async probabilities(circuit: Circuit, input: BatchInput): Promise<Float64Array> {
    return this.evaluate(circuit, input, { kind: 'probabilities' });
  }

  async expertProbabilities(circuit: Circuit, input: BatchInput, experts: number): Promise<Float64Array> {
    return this.evaluate(circuit, input, { kind: 'experts', experts });
  }

  async evaluate(circuit: Circuit, input: BatchInput, output: CircuitOutput): Promise<Float64Array> {
    const schedule = this.schedule(circuit);
    validateOutput(circuit.qubits, output);
    const method = this.evaluateMethod === 'auto' ? (circuit.qubits <= densityMaxQubits(this.gpu) ? 'density-matrix' : 'trajectories') : this.evaluateMethod;
    let r: { probabilities: ArrayLike<number>; outputs: Float64Array };
    if (this.runners) {
      validateInput(circuit, input);
      const probabilities = method === 'density-matrix' ? await this.runners.density(schedule, input) : await this.runners.trajectories(schedule, input, { trajectories: this.trajectories, seed: this.seed, step: 0 });
      r = { probabilities, outputs: foldAll(circuit.qubits, output, probabilities, input.rows) };
    } else {
      r = await noisyEvaluate(schedule.circuit, input, this.model, output, method === 'trajectories' ? { method, trajectories: this.trajectories, seed: this.seed, step: 0 } : { method });
    }
    if (this.shots === null) return Float64Array.from(r.outputs);
    // Fresh, seeded shots on every call (a step counter of their own).
    const { frequencies } = sampleShots(r.probabilities, input.rows, 2 ** circuit.qubits, { shots: this.shots, seed: this.seed, step: ++this.evaluations >>> 0 });
    return foldAll(circuit.qubits, output, frequencies, input.rows);
  }

  async gradient(circuit: Circuit, input: BatchInput, output: CircuitOutput, dLdOut: ArrayLike<number>, options: GradientOptions = {}): Promise<GradientResult> {
    const features = options?.features === true;
    const schedule = this.schedule(circuit);
    validateInput(circuit, input);
    validateOutput(circuit.qubits, output);
    if (!dLdOut || dLdOut.length !== input.rows * outputCount(circuit.qubits, output)) {
      throw new QmoeInputError('dLdOut.length', dLdOut?.length, `must equal rows x outputs = ${input.rows * outputCount(circuit.qubits, output)}`);
    }
    // Step counter 0 is evaluate()'s; gradient calls use 1, 2, ... (wrapping at 2^32).
    this.steps++;
    if (isNoiseless(this.model)) return this.exact.gradient(circuit, input, output, dLdOut, { features });
    const step = this.steps >>> 0;
    const draws = { trajectories: this.trajectories, seed: this.seed, step };
    let result: GradientResult;
    if (this.runners) {
      checkNoisyGradient(schedule, input, output, dLdOut, draws);
      result = await this.runners.gradient(schedule, input, output, dLdOut, draws, features);
    } else {
      result = noisyGradientCpu(schedule, input, output, dLdOut, draws, undefined, features);
    }
    checkFiniteResult('the noise-aware gradient', result.params);
    if (result.features) checkFiniteResult('the noise-aware feature gradient', result.features);
    return result;
  }

  /** Frees the GPU runners. */
  dispose(): void {
    this.runners?.destroy();
  }
}

/** Every row's outputs (rows x outputCount) from rows x 2^n probabilities. */
function foldAll(qubits: number, output: CircuitOutput, probabilities: ArrayLike<number>, rows: number): Float64Array {
  const dim = 2 ** qubits;
  const k = outputCount(qubits, output);
  const outputs = new Float64Array(rows * k);
  for (let row = 0; row < rows; row++) foldOutputs(qubits, output, probabilities, row * dim, outputs, row * k);
  return outputs;
}
