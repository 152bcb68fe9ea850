import { QmoeInputError, checkInt } from '../errors.js';
import { STREAM_SHOT, noiseHash } from './rng.js';

/** Most shots per sample. */
export const MAX_SHOTS = 1 << 24;
/** Most shots in one call, over all rows. */
export const MAX_TOTAL_SHOTS = 2 ** 31;

export interface ShotOptions {
  shots: number;
  /** u32 seed; default 0. */
  seed?: number;
  /** u32 step counter; default 0. */
  step?: number;
  /** Index of row 0 within the whole data set; default 0. */
  firstSample?: number;
}

export interface ShotResult {
  /** rows x outcomes counts. */
  counts: Uint32Array;
  /** counts / shots. */
  frequencies: Float64Array;
}

/**
 * Samples `shots` measurement outcomes per row from `probs` (rows x outcomes; each row a
 * distribution, renormalized if it sums to slightly off 1, as f32 results do). Shot s of row r uses
 * the uniform number from noiseHash(seed, step, firstSample + r, s, 0, STREAM_SHOT) (two 32-bit
 * halves make 53 bits), inverted through the row's cumulative distribution in float64: the same
 * seed gives the same outcomes for any batch split. Runs on the host (O(rows x (outcomes + shots log outcomes))).
 */
export function sampleShots(probs: ArrayLike<number>, rows: number, outcomes: number, options: ShotOptions): ShotResult {
  checkInt('rows', rows, 1, 1 << 26);
  checkInt('outcomes', outcomes, 1, 1 << 30);
  if (probs.length !== rows * outcomes) throw new QmoeInputError('probs.length', probs.length, `must equal rows x outcomes = ${rows * outcomes}`);
  const shots = checkInt('shots', options.shots, 1, MAX_SHOTS);
  if (rows * shots > MAX_TOTAL_SHOTS) throw new QmoeInputError('shots', shots, `rows x shots must be at most ${MAX_TOTAL_SHOTS} per call (rows ${rows}); split the batch`);
  const seed = checkInt('seed', options.seed ?? 0, 0, 0xffffffff);
  const step = checkInt('step', options.step ?? 0, 0, 0xffffffff);
  const firstSample = checkInt('firstSample', options.firstSample ?? 0, 0, 0xffffffff);
  const counts = new Uint32Array(rows * outcomes);
  const cdf = new Float64Array(outcomes);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let k = 0; k < outcomes; k++) {
      const p = probs[r * outcomes + k];
      if (!(p >= -1e-6)) throw new QmoeInputError(`probs[row ${r}, outcome ${k}]`, p, 'probabilities must be finite and not negative');
      acc += Math.max(0, p);
      cdf[k] = acc;
    }
    if (!(acc > 0)) throw new QmoeInputError(`probs[row ${r}]`, acc, 'a row of probabilities must have a positive sum');
    for (let s = 0; s < shots; s++) {
      const hi = noiseHash(seed, step, firstSample + r, s, 0, STREAM_SHOT);
      const lo = noiseHash(seed, step, firstSample + r, s, 1, STREAM_SHOT);
      const u = ((hi >>> 5) * 67108864 + (lo >>> 6)) / 9007199254740992; // 53-bit uniform in [0, 1)
      const target = u * acc;
      // First k with cdf[k] > target.
      let lo2 = 0, hi2 = outcomes - 1;
      while (lo2 < hi2) {
        const mid = (lo2 + hi2) >> 1;
        if (cdf[mid] > target) hi2 = mid;
        else lo2 = mid + 1;
      }
      counts[r * outcomes + lo2]++;
    }
  }
  const frequencies = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) frequencies[i] = counts[i] / shots;
  return { counts, frequencies };
}
