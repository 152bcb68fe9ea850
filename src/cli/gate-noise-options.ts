import { QmoeInputError } from '../errors.js';
import { quantumParts } from '../moe/mixture-spec.js';
import type { ExpertsKind, RouterKind } from '../moe/spec.js';
import { MAX_SHOTS } from '../noise/shots.js';
import type { GateNoiseRecord, NoisyEngineOptions } from '../noise/training.js';
import { MAX_TRAJECTORIES } from '../noise/trajectories-cpu.js';
import { UsageError, int, num, type OptionValues } from './args.js';

/** Noise-aware training of `qmoe train`: --gate-noise P [--trajectories T] [--shots S]. */
export const GATE_NOISE_OPTIONS = {
  'gate-noise': num(0, 1, { what: 'an error rate' }),
  trajectories: int(1, MAX_TRAJECTORIES),
  shots: int(1, MAX_SHOTS),
} as const;

/**
 * The noisy engine's options: undefined without --gate-noise; an error for --trajectories or
 * --shots without --gate-noise and for a model without a quantum circuit (a quantum router or
 * quantum experts). `note` says why --backend auto trains on the CPU.
 */
export function gateNoiseFrom(
  cmd: string,
  values: OptionValues<typeof GATE_NOISE_OPTIONS>,
  router: RouterKind,
  expertsKind: ExpertsKind | undefined,
  backend: string,
  seed: number,
  usage: string,
): { options: Omit<NoisyEngineOptions, 'lr'>; note?: string } | undefined {
  const p = values['gate-noise'];
  if (p === undefined) {
    if (values.trajectories !== undefined) throw new UsageError(`${cmd}: --trajectories applies with --gate-noise only`, usage);
    if (values.shots !== undefined) throw new UsageError(`${cmd}: --shots applies with --gate-noise only (--gate-noise 0 for shot noise alone)`, usage);
    return undefined;
  }
  const parts = quantumParts({ router, expertsKind });
  if (parts.length === 0) {
    throw new QmoeInputError('--gate-noise', p, `applies to quantum circuits only: the quantum router or --experts-kind quantum (got --router ${router} with ${expertsKind ?? 'linear'} experts)`);
  }
  const several = parts.length > 1;
  const note =
    backend === 'auto'
      ? `noise-aware training (--gate-noise): the CPU engine with ${several ? 'the circuits' : 'the circuit'} in float64 (--backend webgpu runs the noisy ${several ? 'circuits and their gradients' : 'circuit and its gradient'} on the GPU)`
      : undefined;
  return { options: { p, trajectories: values.trajectories, seed, shots: values.shots }, note };
}

/** Where gate noise is: "p 0.02 after every gate of the router and the experts". */
export function noisePlacementSummary(n: Pick<GateNoiseRecord, 'p' | 'placement' | 'circuits'>): string {
  const where = n.placement === 'every-gate' ? 'after every gate' : 'after the embedding and the last layer';
  const of = (n.circuits ?? ['router']).map((c) => (c === 'router' ? 'the router' : 'the experts')).join(' and ');
  return `p ${n.p} ${where} of ${of}`;
}

/** One line on the training's gate noise: where, the trajectories of the gradient, the forward pass, where it ran. */
export function gateNoiseSummary(n: GateNoiseRecord): string {
  const shots = n.shots === null ? '' : `, ${n.shots} shots per row`;
  return `${noisePlacementSummary(n)}; gradients over ${n.trajectories} trajectories per row (seed ${n.seed}), forward by ${n.forward === 'density-matrix' ? 'density matrices' : 'trajectories'}${shots}, on the ${n.circuit === 'webgpu' ? 'GPU' : 'CPU'}`;
}
