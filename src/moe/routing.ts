import { QmoeInputError } from '../errors.js';
import type { Rng } from '../data/rng.js';
import type { ModelSpec } from './spec.js';

/**
 * The gate: how the router's distribution P(e | x) (rows x experts) becomes the weights g of the
 * mixture y = sum_e g_e z_e, and how d loss / d g goes back to d loss / d P.
 *
 *   dense      g = P (every expert runs).
 *   top-k      the K most probable experts per row (ties: the lower index), renormalised:
 *              g_e = P_e / Z for e in T, Z = sum_{j in T} P_j, else 0 (the classical MoE's gate).
 *              Backward: dP_j = (dg_j - sum_{e in T} g_e dg_e) / Z for j in T, else 0.
 *              K = experts is the dense model (g = P, no renormalisation: P sums to 1).
 *   shots      S draws from P per row (for the quantum router, S measurement shots of the circuit:
 *              the Born distribution is the gate); g_e = n_e / S with n the counts. Only experts
 *              drawn run. g does not depend on the parameters given the draw, so the router learns
 *              by the score-function (REINFORCE) estimator of the gradient of the expected loss:
 *              d E[L_r] / dP_e ~ (L_r - b_r) d log Mult(n; S, P) / dP_e = (L_r - b_r) n_e / P_e,
 *              with the baseline b_r the mean loss of the OTHER rows of the batch (independent of
 *              row r's draw, so the estimator stays unbiased; 0 for a batch of one row). The
 *              experts' gradients are the usual ones given the draw (unbiased too).
 * `dispatch` is the fraction of each row sent to each expert, for the balance loss's f_e:
 * dense the one-hot argmax (top-1, as the Switch Transformer), top-k 1/K on each kept expert,
 * shots n_e / S.
 */
export interface Gate {
  /** Mixture weights g: rows x experts (0 where the expert does not run). */
  weights: Float64Array;
  /** Fraction of each row dispatched to each expert: rows x experts, rows sum to 1. */
  dispatch: Float64Array;
  /** Top-k: the renormaliser Z per row. */
  norm?: Float64Array;
  /** Shots: the counts per row and expert. */
  counts?: Int32Array;
}

export type GateKind = 'dense' | 'top-k' | 'shots';

export function gateKind(spec: ModelSpec): GateKind {
  if (spec.routeShots !== undefined) return 'shots';
  if (spec.topK !== undefined && spec.topK < spec.experts) return 'top-k';
  return 'dense';
}

/** Index of the largest entry of v[at .. at + n) (the lowest on ties). */
function argmax(v: ArrayLike<number>, at: number, n: number): number {
  let best = 0;
  for (let e = 1; e < n; e++) if (v[at + e] > v[at + best]) best = e;
  return best;
}

/** S draws from the distribution p[at .. at + E) into counts[at ..] (inverse CDF; zero-probability experts are never drawn). */
export function drawCounts(p: ArrayLike<number>, at: number, E: number, shots: number, rng: Rng, counts: Int32Array): void {
  let last = 0;
  let total = 0;
  for (let e = 0; e < E; e++) {
    total += p[at + e];
    if (p[at + e] > 0) last = e;
  }
  for (let s = 0; s < shots; s++) {
    const u = rng.next() * total;
    let c = 0;
    let e = 0;
    for (; e < E; e++) {
      c += p[at + e];
      if (c > u && p[at + e] > 0) break;
    }
    counts[at + (e < E ? e : last)]++;
  }
}

/**
 * The gate of `rows` rows of P. Shots use `rng`, or the given `draw` (counts, rows x experts,
 * each row summing to the shots: a replayed draw, e.g. to enumerate the expectation in tests).
 */
export function routeGate(spec: ModelSpec, route: Float64Array, rows: number, rng: Rng | undefined, draw?: Int32Array): Gate {
  const E = spec.experts;
  const kind = gateKind(spec);
  const dispatch = new Float64Array(rows * E);
  if (kind === 'dense') {
    for (let r = 0; r < rows; r++) dispatch[r * E + argmax(route, r * E, E)] = 1;
    return { weights: route, dispatch };
  }
  const weights = new Float64Array(rows * E);
  if (kind === 'top-k') {
    const K = spec.topK!;
    const norm = new Float64Array(rows);
    const order = Array.from({ length: E }, (_, e) => e);
    for (let r = 0; r < rows; r++) {
      order.sort((a, b) => route[r * E + b] - route[r * E + a] || a - b);
      let z = 0;
      for (let k = 0; k < K; k++) z += route[r * E + order[k]];
      // All-zero kept probabilities (underflow): the kept experts share the row equally.
      norm[r] = z;
      for (let k = 0; k < K; k++) {
        const e = order[k];
        weights[r * E + e] = z > 0 ? route[r * E + e] / z : 1 / K;
        dispatch[r * E + e] = 1 / K;
      }
    }
    return { weights, dispatch, norm };
  }
  const S = spec.routeShots!;
  let counts: Int32Array;
  if (draw) {
    if (draw.length !== rows * E) throw new QmoeInputError('draw.length', draw.length, `must be rows x experts = ${rows * E}`);
    for (let r = 0; r < rows; r++) {
      let n = 0;
      for (let e = 0; e < E; e++) n += draw[r * E + e];
      if (n !== S) throw new QmoeInputError(`draw[row ${r}]`, n, `the counts of a row must sum to the shots (${S})`);
    }
    counts = draw;
  } else {
    if (!rng) throw new Error('routeGate: routing by shots needs a generator');
    counts = new Int32Array(rows * E);
    for (let r = 0; r < rows; r++) drawCounts(route, r * E, E, S, rng, counts);
  }
  for (let i = 0; i < rows * E; i++) {
    weights[i] = counts[i] / S;
    dispatch[i] = counts[i] / S;
  }
  return { weights, dispatch, counts };
}

/**
 * d loss / d P from d loss / d g (rows x experts; already divided by the batch size) for the
 * dense and top-k gates; for shots, the score-function term from the rows' losses (`losses`,
 * rows, each the row's own loss: the mean loss's factor 1 / rows is applied here).
 */
export function gateBackward(spec: ModelSpec, route: Float64Array, gate: Gate, dGate: Float64Array, rows: number, losses: ArrayLike<number>): Float64Array {
  const E = spec.experts;
  const kind = gateKind(spec);
  if (kind === 'dense') return dGate;
  const dRoute = new Float64Array(rows * E);
  if (kind === 'top-k') {
    const norm = gate.norm!;
    for (let r = 0; r < rows; r++) {
      if (!(norm[r] > 0)) continue;
      let dot = 0;
      for (let e = 0; e < E; e++) dot += gate.weights[r * E + e] * dGate[r * E + e];
      for (let e = 0; e < E; e++) if (gate.dispatch[r * E + e] > 0) dRoute[r * E + e] = (dGate[r * E + e] - dot) / norm[r];
    }
    return dRoute;
  }
  const counts = gate.counts!;
  let sum = 0;
  for (let r = 0; r < rows; r++) sum += losses[r];
  for (let r = 0; r < rows; r++) {
    const baseline = rows > 1 ? (sum - losses[r]) / (rows - 1) : 0;
    const advantage = (losses[r] - baseline) / rows;
    for (let e = 0; e < E; e++) {
      const n = counts[r * E + e];
      if (n > 0) dRoute[r * E + e] = (advantage * n) / route[r * E + e];
    }
  }
  return dRoute;
}
