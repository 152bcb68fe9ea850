import { QmoeInputError, checkInt } from '../errors.js';
import { Rng } from '../data/rng.js';
import { checkSample, mean } from './describe.js';

export interface PermutationOptions {
  /** Enumerate all 2^n sign flips up to this many pairs (default 20: about a million). */
  maxExact?: number;
  /** Monte Carlo sign flips beyond maxExact (default 100000). */
  resamples?: number;
  /** Seed of the Monte Carlo draws (default 1). */
  seed?: number;
}

export interface PermutationTest {
  /** Pairs. */
  n: number;
  /** mean(b - a). */
  meanDifference: number;
  /** Two-sided p-value of H0: within each pair, the two values are exchangeable. */
  p: number;
  method: 'exact' | 'monte-carlo';
  /** Sign-flip assignments counted: 2^n (exact) or the Monte Carlo draws. */
  assignments: number;
  seed?: number;
}

/**
 * The paired permutation (sign-flip) test of b - a: pair i is the same seed (same initial
 * shuffles, same data) for both models. Under H0 the sign of each difference d_i = b_i - a_i is
 * +/- with probability 1/2 independently, so the p-value is the share of the 2^n sign
 * assignments s whose |sum s_i d_i| is at least the observed |sum d_i| (ties count, with a
 * tolerance for rounding). Exact enumeration (Gray code: one update per assignment) for n <=
 * maxExact; beyond, R seeded draws and p = (1 + hits) / (1 + R), which never reports 0.
 */
export function pairedPermutationTest(a: readonly number[], b: readonly number[], o: PermutationOptions = {}): PermutationTest {
  checkSample('a', a);
  checkSample('b', b);
  if (a.length !== b.length) throw new QmoeInputError('b.length', b.length, `must equal a.length (${a.length}): the values are paired by seed`);
  const maxExact = checkInt('maxExact', o.maxExact ?? 20, 0, 26);
  const d = a.map((v, i) => b[i] - v);
  const n = d.length;
  const observed = Math.abs(d.reduce((s, v) => s + v, 0));
  const tol = 1e-9 * d.reduce((s, v) => s + Math.abs(v), 0);
  const meanDifference = mean(d);
  if (n <= maxExact) {
    // Gray code over the flips: assignment k differs from k - 1 in the sign of pair ctz(k).
    const total = 2 ** n;
    let sum = d.reduce((s, v) => s + v, 0);
    const sign = new Int8Array(n).fill(1);
    let hits = Math.abs(sum) >= observed - tol ? 1 : 0;
    for (let k = 1; k < total; k++) {
      const i = 31 - Math.clz32(k & -k);
      sum -= 2 * sign[i] * d[i];
      sign[i] = -sign[i];
      if (Math.abs(sum) >= observed - tol) hits++;
    }
    return { n, meanDifference, p: hits / total, method: 'exact', assignments: total };
  }
  const resamples = checkInt('resamples', o.resamples ?? 100_000, 1, 100_000_000);
  const seed = o.seed ?? 1;
  const rng = new Rng(seed);
  let hits = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i += 32) {
      const bits = rng.uint32();
      for (let j = 0; j < 32 && i + j < n; j++) s += (bits >>> j) & 1 ? d[i + j] : -d[i + j];
    }
    if (Math.abs(s) >= observed - tol) hits++;
  }
  return { n, meanDifference, p: (1 + hits) / (1 + resamples), method: 'monte-carlo', assignments: resamples, seed };
}
