import type { Circuit } from '../circuit/types.js';
import { QmoeInputError, checkFiniteResult } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { BatchInput, CircuitOutput, RealArray } from '../sim/backend.js';
import { foldOutputs } from '../sim/experts.js';
import { outputCount, validateOutput } from '../sim/experts.js';
import { validateInput } from '../sim/input.js';
import { DENSITY_CPU_MAX_QUBITS, densityProbabilitiesCpu } from './density-cpu.js';
import { type NoiseModel, noiseSchedule } from './model.js';
import { type TrajectoryOptions, trajectoryProbabilitiesCpu } from './trajectories-cpu.js';
import { DENSITY_GPU_MAX_QUBITS, densityProbabilitiesGpu } from './density-gpu.js';
import type { NoiseGpuOptions } from './runner-gpu.js';
import { trajectoryProbabilitiesGpu } from './trajectories-gpu.js';

export type NoiseMethod = 'density-matrix' | 'trajectories';

/** Trajectories when the exact path cannot serve a circuit and none were asked for. */
export const DEFAULT_TRAJECTORIES = 1000;

export interface NoisyOptions extends Partial<TrajectoryOptions> {
  /** 'auto' (default): the density matrix when `trajectories` is not given and n is small enough. */
  method?: 'auto' | NoiseMethod;
  /** Run on this GPU; null or absent: the float64 CPU reference. */
  gpu?: GpuContext | null;
  gpuOptions?: NoiseGpuOptions;
}

export interface NoisyResult {
  /** rows x 2^n noisy basis-state probabilities (readout error included). */
  probabilities: RealArray;
  method: NoiseMethod;
  /** Trajectories per row (trajectories method). */
  trajectories?: number;
}

/** Largest n the exact path serves on the chosen backend. */
export function densityMaxQubits(gpu: GpuContext | null | undefined): number {
  return gpu ? DENSITY_GPU_MAX_QUBITS : DENSITY_CPU_MAX_QUBITS;
}

/** The method `options` choose for an n-qubit circuit. */
export function chooseMethod(qubits: number, options: NoisyOptions): NoiseMethod {
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'density-matrix' && method !== 'trajectories') {
    throw new QmoeInputError('method', method, "must be 'auto', 'density-matrix' or 'trajectories'");
  }
  if (method !== 'auto') return method;
  if (options.trajectories !== undefined) return 'trajectories';
  return qubits <= densityMaxQubits(options.gpu) ? 'density-matrix' : 'trajectories';
}

/** Noisy basis-state probabilities of a batch, exact (density matrix) or by trajectories, on the CPU or a GPU. */
export async function noisyProbabilities(circuit: Circuit, input: BatchInput, model: NoiseModel, options: NoisyOptions = {}): Promise<NoisyResult> {
  const schedule = noiseSchedule(circuit, model);
  validateInput(circuit, input);
  const method = chooseMethod(circuit.qubits, options);
  if (method === 'density-matrix') {
    const probabilities = options.gpu ? await densityProbabilitiesGpu(options.gpu, schedule, input, options.gpuOptions) : densityProbabilitiesCpu(schedule, input);
    checkFiniteResult('the noisy probabilities', probabilities, 2 ** circuit.qubits);
    return { probabilities, method };
  }
  const t: TrajectoryOptions = { ...options, trajectories: options.trajectories ?? DEFAULT_TRAJECTORIES };
  const probabilities = options.gpu ? await trajectoryProbabilitiesGpu(options.gpu, schedule, input, t, options.gpuOptions) : trajectoryProbabilitiesCpu(schedule, input, t);
  checkFiniteResult('the noisy probabilities', probabilities, 2 ** circuit.qubits);
  return { probabilities, method, trajectories: t.trajectories };
}

/** Noisy circuit outputs (probabilities, expert probabilities or <Z_i>) per row, folded on the host. */
export async function noisyEvaluate(circuit: Circuit, input: BatchInput, model: NoiseModel, output: CircuitOutput, options: NoisyOptions = {}): Promise<NoisyResult & { outputs: Float64Array }> {
  validateOutput(circuit.qubits, output);
  const res = await noisyProbabilities(circuit, input, model, options);
  const dim = 2 ** circuit.qubits;
  const k = outputCount(circuit.qubits, output);
  const outputs = new Float64Array(input.rows * k);
  for (let r = 0; r < input.rows; r++) foldOutputs(circuit.qubits, output, res.probabilities, r * dim, outputs, r * k);
  return { ...res, outputs };
}
