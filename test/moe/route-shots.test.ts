import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/data/rng.js';
import { CpuModel } from '../../src/moe/forward-cpu.js';
import { initParams, makeSpec, type SpecOptions } from '../../src/moe/models.js';
import { drawCounts, routeGate } from '../../src/moe/routing.js';
import { mulberry32 } from '../helpers/random.js';

/** Every count vector of `shots` draws over `experts` experts. */
function compositions(shots: number, experts: number): number[][] {
  if (experts === 1) return [[shots]];
  const out: number[][] = [];
  for (let n = 0; n <= shots; n++) for (const rest of compositions(shots - n, experts - 1)) out.push([n, ...rest]);
  return out;
}

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

/** Multinomial probability of counts n under p. */
function multinomial(n: number[], p: ArrayLike<number>): number {
  let v = factorial(n.reduce((a, b) => a + b, 0));
  n.forEach((k, e) => (v *= p[e] ** k / factorial(k)));
  return v;
}

/**
 * The exact expected mean loss over the routing draws: rows draw independently, so it is the mean
 * over rows of sum_n Mult(n; S, P_r) L_r(n), every count vector enumerated (row by row, replayed
 * through the model's `draw`).
 */
async function expectedLoss(model: CpuModel, params: Float64Array, x: Float64Array, labels: Int32Array, rows: number): Promise<number> {
  const { experts: E, features: F, routeShots: S } = model.spec;
  const route = await model.routeProbabilities(params, x, rows);
  const all = compositions(S!, E);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const xr = x.subarray(r * F, (r + 1) * F);
    for (const n of all) {
      const p = multinomial(n, route.subarray(r * E, (r + 1) * E));
      if (p === 0) continue;
      const g = await model.lossAndGradient(params, xr, labels.subarray(r, r + 1), 1, { draw: Int32Array.from(n) });
      total += p * g.loss;
    }
  }
  return total / rows;
}

/**
 * The score-function estimate's mean over many draws against the exact gradient of the
 * expectation (central differences of the enumerated expectation): every component within
 * 4.5 standard errors of the mean (plus 1e-6 for the differences' own error).
 */
async function checkEstimator(options: SpecOptions, draws: number, rows = 3, seed = 3): Promise<void> {
  const spec = makeSpec(options);
  const model = new CpuModel(spec, undefined, false, { routeSeed: 11 });
  const params = initParams(spec, { seed, init: 'uniform' });
  const rng = mulberry32(seed);
  const x = Float64Array.from({ length: rows * spec.features }, () => rng() * Math.PI);
  const labels = Int32Array.from({ length: rows }, () => Math.floor(rng() * spec.classes));
  const h = 1e-5;
  const exact = new Float64Array(params.length);
  for (let k = 0; k < params.length; k++) {
    const p = Float64Array.from(params);
    p[k] = params[k] + h;
    const up = await expectedLoss(model, p, x, labels, rows);
    p[k] = params[k] - h;
    const down = await expectedLoss(model, p, x, labels, rows);
    exact[k] = (up - down) / (2 * h);
  }
  const sum = new Float64Array(params.length);
  const sq = new Float64Array(params.length);
  for (let d = 0; d < draws; d++) {
    const g = await model.lossAndGradient(params, x, labels, rows);
    for (let k = 0; k < params.length; k++) {
      sum[k] += g.grad[k];
      sq[k] += g.grad[k] ** 2;
    }
  }
  let routerSignal = 0;
  for (let k = 0; k < params.length; k++) {
    const mean = sum[k] / draws;
    const se = Math.sqrt(Math.max(0, sq[k] / draws - mean ** 2) / (draws - 1));
    expect(Math.abs(mean - exact[k]), `param ${k}: mean ${mean} +- ${se} vs exact ${exact[k]}`).toBeLessThan(4.5 * se + 1e-6);
    if (k < 4) routerSignal = Math.max(routerSignal, Math.abs(exact[k]));
  }
  // The router's exact gradient is not zero: the check above says something about the score term.
  expect(routerSignal).toBeGreaterThan(1e-3);
}

describe('routing by measurement shots', () => {
  it('draws counts with the distribution of P', () => {
    const rng = new Rng(5);
    const p = [0.5, 0.3, 0.2, 0];
    const counts = new Int32Array(4);
    drawCounts(p, 0, 4, 100000, rng, counts);
    expect(counts[3]).toBe(0);
    for (let e = 0; e < 3; e++) expect(Math.abs(counts[e] / 100000 - p[e])).toBeLessThan(0.005);
  });

  it('the gate is the histogram of the shots, and only the experts drawn run', async () => {
    const spec = makeSpec({ router: 'quantum', preset: 'paper', layers: 2, routeShots: 3 });
    const gate = routeGate(spec, Float64Array.of(0.25, 0.25, 0.25, 0.25), 1, new Rng(1));
    const n = Array.from(gate.counts!);
    expect(n.reduce((a, b) => a + b, 0)).toBe(3);
    expect(Array.from(gate.weights)).toEqual(n.map((k) => k / 3));
    const model = new CpuModel(spec, undefined, false, { routeSeed: 2 });
    const params = initParams(spec, { seed: 1 });
    const g = await model.lossAndGradient(params, Float64Array.of(0.4, 2.1), Int32Array.of(1), 1, { draw: Int32Array.of(0, 3, 0, 0) });
    // Expert 1 alone: its logits are the output, and the other experts get no gradient.
    expect(Array.from(g.gate)).toEqual([0, 1, 0, 0]);
    const per = 6;
    for (const e of [0, 2, 3]) expect(Array.from(g.grad.subarray(24 + e * per, 24 + (e + 1) * per)).every((v) => v === 0)).toBe(true);
  });

  it('is reproducible from the route seed', async () => {
    const spec = makeSpec({ router: 'linear', preset: 'paper', routeShots: 2 });
    const params = initParams(spec, { seed: 1 });
    const x = Float64Array.of(0.1, 0.2, 1.5, 2.5, 3, 0.7);
    const y = Int32Array.of(0, 1, 1);
    const a = await new CpuModel(spec, undefined, false, { routeSeed: 9 }).lossAndGradient(params, x, y, 3);
    const b = await new CpuModel(spec, undefined, false, { routeSeed: 9 }).lossAndGradient(params, x, y, 3);
    expect(Array.from(a.grad)).toEqual(Array.from(b.grad));
  });

  // The estimator is unbiased: the mean over many draws is within its standard error of the exact gradient.
  it('score-function gradient, quantum router (paper, 4 experts), 2 shots: mean over draws = exact gradient of the expectation', () =>
    checkEstimator({ router: 'quantum', preset: 'paper', layers: 1, routeShots: 2 }, 4000));
  it('score-function gradient, linear router, 2 experts, 3 shots', () =>
    checkEstimator({ router: 'linear', preset: 'code', routeShots: 3 }, 4000));
  it('score-function gradient, quantum router with quantum experts, 1 shot', () =>
    checkEstimator({ router: 'quantum', preset: 'code', layers: 1, routeShots: 1, expertsKind: 'quantum', expertLayers: 1 }, 3000, 2));
});
