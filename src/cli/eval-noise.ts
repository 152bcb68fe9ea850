import { QmoeInputError } from '../errors.js';
import { quantumParts } from '../moe/mixture-spec.js';
import type { ModelSpec } from '../moe/spec.js';
import type { GateNoiseRecord, NoisyEngineOptions } from '../noise/training.js';
import type { OptionValues } from './args.js';
import type { GATE_NOISE_OPTIONS } from './gate-noise-options.js';

/** The circuit noise `qmoe eval` scores a model under (null: the noiseless circuits). */
export interface EvalNoise {
  /** The noisy engine's options (createNoisyCpuEngine fills in the defaults: the preset's placement, 32 trajectories). */
  options: Omit<NoisyEngineOptions, 'lr' | 'gpu'>;
  /** Whether it is the noise the model was trained under (nothing overridden). */
  asTrained: boolean;
}

/**
 * The noise of an evaluation: the one the model was trained under (its training.gateNoise), so that
 * eval reproduces the test accuracy qmoe train printed; --gate-noise P, --trajectories T and
 * --shots S override its fields (--gate-noise 0 alone: the noiseless circuits). A model trained
 * without noise is scored under --gate-noise P placed as its preset's.
 */
export function evalNoise(spec: ModelSpec, trained: GateNoiseRecord | null, values: OptionValues<typeof GATE_NOISE_OPTIONS>): EvalNoise | null {
  const given = values['gate-noise'] !== undefined || values.trajectories !== undefined || values.shots !== undefined;
  const p = values['gate-noise'] ?? trained?.p ?? 0;
  const shots = values.shots ?? (values['gate-noise'] === 0 ? null : (trained?.shots ?? null));
  if (p === 0 && shots === null) {
    if (values.trajectories !== undefined) throw new QmoeInputError('--trajectories', values.trajectories, 'applies to an evaluation under gate noise only (the model was trained without it: add --gate-noise P)');
    return null;
  }
  if (quantumParts(spec).length === 0) {
    throw new QmoeInputError(given ? '--gate-noise' : 'model.training.gateNoise', p, `applies to quantum circuits only; the model has a ${spec.router} router and ${spec.expertsKind ?? 'linear'} experts`);
  }
  const trajectories = values.trajectories ?? trained?.trajectories;
  return {
    options: {
      p,
      seed: trained?.seed ?? 0,
      ...(trained ? { placement: trained.placement } : {}),
      ...(trained?.convention ? { convention: trained.convention } : {}),
      ...(trajectories !== undefined ? { trajectories } : {}),
      ...(shots !== null ? { shots } : {}),
    },
    asTrained: trained !== null && !given,
  };
}
