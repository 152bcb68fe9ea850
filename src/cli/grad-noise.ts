import type { QasmProgram } from '../circuit/qasm/program.js';
import type { GpuContext } from '../gpu/context.js';
import { NoisyBackend } from '../noise/backend.js';
import type { NoiseModel } from '../noise/model.js';
import { densityMaxQubits, noisyProbabilities } from '../noise/simulate.js';
import { MAX_TRAJECTORIES } from '../noise/trajectories-cpu.js';
import { fileAngleGradient } from '../sim/file-gradient.js';
import { int, type OptionValues } from './args.js';
import { NOISE_RATE_OPTIONS, noiseModelFrom } from './noise-rate-options.js';

/** Independent estimates the noise-aware gradient is the mean of (their spread gives its standard error). */
export const GRADIENT_ESTIMATES = 16;
/** Trajectories of the noise-aware gradient when none are given: 16 estimates of 64. */
export const DEFAULT_GRAD_TRAJECTORIES = 1024;

/** The noise options of `qmoe grad`. */
export const GRAD_NOISE_OPTIONS = {
  ...NOISE_RATE_OPTIONS,
  trajectories: int(GRADIENT_ESTIMATES, MAX_TRAJECTORIES),
} as const;

export const GRAD_NOISE_HELP = `
Noise (depolarizing channel after every gate, as qmoe simulate --noise):
  --noise P        error rate per gate (X, Y, Z each P/3 after one-qubit gates, the 15 Pauli pairs
                   each P2/15 after two-qubit gates); the loss is the noisy one (exact density
                   matrix when it fits, else the trajectories' mean), the gradient the noise-aware
                   adjoint gradient: the mean of ${GRADIENT_ESTIMATES} independent estimates over
                   T / ${GRADIENT_ESTIMATES} Monte-Carlo trajectories each, with its standard error
                   (the estimates' standard deviation / sqrt(${GRADIENT_ESTIMATES}))
  --p2 P2          rate after two-qubit gates (default P)
  --readout R      readout bit-flip probability per qubit (default 0)
  --trajectories T trajectories of the gradient (${GRADIENT_ESTIMATES} to ${MAX_TRAJECTORIES}; default ${DEFAULT_GRAD_TRAJECTORIES})
  --seed N         seed of the trajectories (default 0)
  --json adds {noise, method, trajectories, estimates, seed, standardError}
`;

export interface GradNoise {
  model: NoiseModel;
  trajectories: number;
  seed: number;
}

/** The noise options given, or null without --noise (the exact noiseless gradient). */
export function parseGradNoise(values: OptionValues<typeof GRAD_NOISE_OPTIONS>, usage: string): GradNoise | null {
  const model = noiseModelFrom('qmoe grad', values, ['p2', 'readout', 'trajectories', 'seed'], usage);
  return model && { model, trajectories: values.trajectories ?? DEFAULT_GRAD_TRAJECTORIES, seed: values.seed ?? 0 };
}

export interface NoisyFileGradient {
  loss: number;
  /** How the loss was computed. */
  method: 'density-matrix' | 'trajectories';
  /** dL/d(file angle): the mean of the estimates. */
  gradient: Float64Array;
  /** One standard error of each entry of `gradient`. */
  standardError: Float64Array;
  /** Trajectories in all (estimates x trajectories per estimate). */
  trajectories: number;
  estimates: number;
}

/**
 * The noisy loss L = sum_k w_k p_k of the program under `noise` and its noise-aware gradient with
 * respect to the file's angles: GRADIENT_ESTIMATES independent estimates (each gradient call of a
 * NoisyBackend draws fresh Paulis, reproducibly from the seed), their mean and standard error.
 */
export async function noisyFileGradient(program: QasmProgram, weights: number[], noise: GradNoise, gpu: GpuContext | null): Promise<NoisyFileGradient> {
  const circuit = program.circuit;
  const exact = circuit.qubits <= densityMaxQubits(gpu);
  const per = Math.ceil(noise.trajectories / GRADIENT_ESTIMATES);
  const forward = await noisyProbabilities(circuit, { rows: 1 }, noise.model, exact ? { gpu } : { gpu, trajectories: per * GRADIENT_ESTIMATES, seed: noise.seed });
  let loss = 0;
  for (let k = 0; k < weights.length; k++) loss += weights[k] * forward.probabilities[k];
  const backend = new NoisyBackend(noise.model, { trajectories: per, seed: noise.seed, gpu });
  try {
    const estimates: Float64Array[] = [];
    for (let e = 0; e < GRADIENT_ESTIMATES; e++) estimates.push(await fileAngleGradient(backend, program, { kind: 'probabilities' }, weights));
    const n = program.parameters.length;
    const gradient = new Float64Array(n);
    const standardError = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const mean = estimates.reduce((a, g) => a + g[i], 0) / GRADIENT_ESTIMATES;
      const variance = estimates.reduce((a, g) => a + (g[i] - mean) ** 2, 0) / (GRADIENT_ESTIMATES - 1);
      gradient[i] = mean;
      standardError[i] = Math.sqrt(variance / GRADIENT_ESTIMATES);
    }
    return { loss, method: forward.method, gradient, standardError, trajectories: per * GRADIENT_ESTIMATES, estimates: GRADIENT_ESTIMATES };
  } finally {
    backend.dispose();
  }
}
