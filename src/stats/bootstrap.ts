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
  method: 'percentile bootstrap of the mean' | 'percentile bootstrap';
}

export const DEFAULT_RESAMPLES = 10_000;

/**
 * The percentile bootstrap interval of the mean: R resamples of n values drawn with replacement
 * (seeded), the mean of each, sorted; the interval runs from the order statistic at
 * floor(R (1 - level) / 2) to the one at ceil(R (1 + level) / 2) - 1 (0-based).
 */
export function bootstrapMeanInterval(values: readonly number[], o: BootstrapOptions = {}): Interval {
  checkSample('values', values);
  return bootstrapInterval(values.length, (pick) => {
    let s = 0;
    for (const i of pick) s += values[i];
    return s / pick.length;
  }, o, 'percentile bootstrap of the mean');
}

/**
 * The percentile bootstrap interval of any statistic of n paired observations: each resample
 * draws n indices with replacement (seeded) and `statistic` maps them to a number (e.g. a ratio
 * of two models' mean scores over the same seeds).
 */
export function bootstrapInterval(n: number, statistic: (pick: Int32Array) => number, o: BootstrapOptions = {}, method: Interval['method'] = 'percentile bootstrap'): Interval {
  checkInt('n', n, 1, 1 << 24);
  const seed = o.seed ?? 1;
  const resamples = checkInt('resamples', o.resamples ?? DEFAULT_RESAMPLES, 1, 10_000_000);
  const level = o.level ?? 0.95;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new QmoeInputError('level', level, 'must be a number between 0 and 1');
  const rng = new Rng(seed);
  const pick = new Int32Array(n);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) pick[i] = rng.int(n);
    stats[r] = statistic(pick);
  }
  stats.sort();
  const lo = Math.floor((resamples * (1 - level)) / 2);
  const hi = Math.min(resamples - 1, Math.ceil((resamples * (1 + level)) / 2) - 1);
  return { low: stats[lo], high: stats[hi], level, resamples, seed, method };
}
