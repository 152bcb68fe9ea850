import { QmoeInputError, checkInt } from '../errors.js';
import { Rng } from '../data/rng.js';
import { checkSample } from './describe.js';

export interface BootstrapOptions {
  /** Seed of the resampling (default 1): the same data and seed give the same interval. */
  seed?: number;
  /** Resamples (default 10000). */
  resamples?: number;
  /** Coverage (default 0.95). */
  level?: number;
}

export interface Interval {
  low: number;
  high: number;
  level: number;
  resamples: number;
  seed: number;
  method: 'percentile bootstrap of the mean';
}

export const DEFAULT_RESAMPLES = 10_000;

/**
 * The percentile bootstrap interval of the mean: R resamples of n values drawn with replacement
 * (seeded), the mean of each, sorted; the interval runs from the order statistic at
 * floor(R (1 - level) / 2) to the one at ceil(R (1 + level) / 2) - 1 (0-based).
 */
export function bootstrapMeanInterval(values: readonly number[], o: BootstrapOptions = {}): Interval {
  checkSample('values', values);
  const seed = o.seed ?? 1;
  const resamples = checkInt('resamples', o.resamples ?? DEFAULT_RESAMPLES, 1, 10_000_000);
  const level = o.level ?? 0.95;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new QmoeInputError('level', level, 'must be a number between 0 and 1');
  const rng = new Rng(seed);
  const n = values.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    means[r] = s / n;
  }
  means.sort();
  const lo = Math.floor((resamples * (1 - level)) / 2);
  const hi = Math.min(resamples - 1, Math.ceil((resamples * (1 + level)) / 2) - 1);
  return { low: means[lo], high: means[hi], level, resamples, seed, method: 'percentile bootstrap of the mean' };
}
