/**
 * The load-balancing loss of the Switch Transformer (Fedus et al. 2021, eq. 4), for every router:
 *   aux = W * E * sum_e f_e * Pbar_e
 * over a batch of B rows: f_e = (1 / B) sum_r dispatch[r, e] the fraction of the batch routed to
 * expert e (routing.ts Gate.dispatch: top-1 for the dense gate), Pbar_e = (1 / B) sum_r P[r, e]
 * the mean router probability. aux = W when both are uniform (1 / E) and grows to W * E when one
 * expert takes everything. As in the paper, f is a count (no gradient); the gradient flows through
 * Pbar: d aux / d P[r, e] = W * E * f_e / B.
 */

export interface Utilisation {
  /** Fraction of the rows routed to each expert (the gate's dispatch: top-1 for dense routing). */
  samples: number[];
  /** Mean router probability of each expert (the probability mass). */
  mass: number[];
}

/** f_e and Pbar_e of a batch. */
export function utilisation(route: ArrayLike<number>, dispatch: ArrayLike<number>, rows: number, experts: number): Utilisation {
  const samples = new Array<number>(experts).fill(0);
  const mass = new Array<number>(experts).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let e = 0; e < experts; e++) {
      samples[e] += dispatch[r * experts + e] / rows;
      mass[e] += route[r * experts + e] / rows;
    }
  }
  return { samples, mass };
}

/** The balance loss of a batch and, when `dRoute` is given, its gradient added into dRoute (rows x experts). */
export function balanceLoss(weight: number, route: ArrayLike<number>, dispatch: ArrayLike<number>, rows: number, experts: number, dRoute?: Float64Array): number {
  const { samples, mass } = utilisation(route, dispatch, rows, experts);
  let sum = 0;
  for (let e = 0; e < experts; e++) sum += samples[e] * mass[e];
  if (dRoute) {
    for (let r = 0; r < rows; r++) for (let e = 0; e < experts; e++) dRoute[r * experts + e] += (weight * experts * samples[e]) / rows;
  }
  return weight * experts * sum;
}
