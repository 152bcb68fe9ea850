import type { Preset, RouterKind } from '../moe/spec.js';

/**
 * The numbers the study claims (docs/study.md), by data set and protocol, so reports can put
 * ours beside them. Accuracies are fractions; params are the study's counts (router only).
 */
export interface Claim {
  dataset: 'moons' | 'mnist' | 'fashion';
  preset: Preset;
  router: RouterKind;
  /** Where the number comes from. */
  source: string;
  accuracy: number;
  params?: number;
  efficiency?: number;
  /** Which split the claim was measured on, as far as the source says. */
  measuredOn: 'test (unstated split)' | 'training data';
  /** Extra qualification (e.g. which MLP width). */
  note?: string;
}

export const CLAIMS: Claim[] = [
  { dataset: 'moons', preset: 'paper', router: 'linear', source: 'text, Table I', accuracy: 0.65, params: 12, efficiency: 2.79, measuredOn: 'test (unstated split)' },
  { dataset: 'moons', preset: 'paper', router: 'mlp', source: 'text, Table I', accuracy: 0.93, params: 240, efficiency: 3.82, measuredOn: 'test (unstated split)' },
  { dataset: 'moons', preset: 'paper', router: 'quantum', source: 'text, Table I', accuracy: 0.94, params: 24, efficiency: 7.14, measuredOn: 'test (unstated split)' },
  { dataset: 'mnist', preset: 'paper', router: 'quantum', source: 'text, MNIST 0 vs 1', accuracy: 0.965, params: 32, measuredOn: 'test (unstated split)' },
  { dataset: 'mnist', preset: 'paper', router: 'mlp', source: 'text, MNIST 0 vs 1 ("classical")', accuracy: 0.958, params: 128, measuredOn: 'test (unstated split)', note: 'the text does not say which classical router has 128 parameters' },
  { dataset: 'moons', preset: 'code', router: 'quantum', source: 'notebook printout', accuracy: 0.996, params: 24, measuredOn: 'training data' },
  { dataset: 'moons', preset: 'code', router: 'mlp', source: 'notebook printout (sweep, h = 16)', accuracy: 0.991, params: 82, measuredOn: 'training data', note: 'our default MLP router for the code preset is h = 16' },
];

/** The claims that apply to a data set and preset. */
export function claimsFor(dataset: string, preset: Preset): Claim[] {
  return CLAIMS.filter((c) => c.dataset === dataset && c.preset === preset);
}

/**
 * The text's efficiency claim: the quantum router's eta = accuracy / log(1 + router parameters) is
 * 1.5 to 2.5 times that of the classical routers, on every data set.
 */
export const EFFICIENCY_CLAIM = { source: 'text', low: 1.5, high: 2.5, statement: 'the quantum router is 1.5 to 2.5x more efficient (eta) than the classical routers on every data set' } as const;

/** The text's training-speed claim: the epoch by which a model reaches 90% accuracy (Fig. 3). */
export const SPEED_CLAIMS: { router: RouterKind; epoch: number; source: string }[] = [
  { router: 'quantum', epoch: 20, source: 'text, training dynamics (Fig. 3)' },
  { router: 'mlp', epoch: 50, source: 'text, training dynamics (Fig. 3)' },
];
