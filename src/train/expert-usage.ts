import { Rng } from '../data/rng.js';
import { balanceLoss, utilisation } from '../moe/balance.js';
import { CpuModel } from '../moe/forward-cpu.js';
import { gateKind, routeGate, type GateKind } from '../moe/routing.js';
import type { ModelSpec } from '../moe/spec.js';
import type { TrainingData } from './engine.js';

/** Expert utilisation of a model on a split, as metrics.json's `experts`. */
export interface ExpertUsage {
  /** How `samples` counts a row: dense top-1 (argmax of P), top-k 1/K per kept expert, shots n_e / S. */
  gate: GateKind;
  /** Fraction of the rows routed to each expert (f_e). */
  samples: number[];
  /** Mean router probability of each expert (Pbar_e: the probability mass). */
  mass: number[];
  /** experts * sum_e f_e Pbar_e: 1 when balanced, up to the number of experts when one expert takes all. */
  imbalance: number;
}

/**
 * The utilisation of `params` on `split`, from the float64 reference router (whatever engine
 * trained it; the router alone runs, not the experts). Shots are drawn with seed 0.
 */
export async function expertUsage(spec: ModelSpec, params: Float64Array, split: TrainingData): Promise<ExpertUsage> {
  const model = new CpuModel(spec);
  try {
    const route = await model.routeProbabilities(params, split.x, split.rows);
    const gate = routeGate(spec, route, split.rows, new Rng(0));
    const u = utilisation(route, gate.dispatch, split.rows, spec.experts);
    return { gate: gateKind(spec), samples: u.samples, mass: u.mass, imbalance: balanceLoss(1, route, gate.dispatch, split.rows, spec.experts) };
  } finally {
    model.dispose();
  }
}
