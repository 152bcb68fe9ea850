import { QmoeInputError, checkInt } from '../errors.js';
import { Rng, checkSeed } from './rng.js';

/** A labelled data set: `x` is samples x features, row-major; `y` holds class labels 0..classes-1. */
export interface Dataset {
  x: Float64Array;
  y: Int32Array;
  features: number;
  classes: number;
}

export interface MoonsOptions {
  /** Number of points, an integer >= 2 (floor(samples / 2) on the outer moon, the rest on the inner). */
  samples: number;
  /** Standard deviation of the gaussian noise added to both coordinates, >= 0. Default 0. */
  noise?: number;
  /** Seed for the shuffle and the noise, an integer from 0 to 2^32 - 1. */
  seed: number;
  /** Shuffle the rows (default true). Unshuffled: all outer-moon rows (label 0) first. */
  shuffle?: boolean;
}

/** Most samples `makeMoons` makes (the row limit of a backend call). */
export const MAX_SAMPLES = 1 << 26;

/** Largest noise: far beyond the moons' size (about 2) the points are noise alone; far beyond that they overflow. */
export const MAX_NOISE = 1e6;

/**
 * Two interleaving half circles, with the meaning of scikit-learn's `make_moons`:
 * n_out = floor(samples / 2) points (cos t, sin t) with t = linspace(0, pi, n_out), label 0,
 * and n_in = samples - n_out points (1 - cos t, 1 - sin t - 0.5) with t = linspace(0, pi, n_in),
 * label 1. As scikit-learn does, the rows are shuffled first, then N(0, noise^2) is added to
 * every coordinate. The numbers differ from scikit-learn's for the same seed (another
 * generator), the distribution is the same.
 */
export function makeMoons(options: MoonsOptions): Dataset {
  if (typeof options !== 'object' || options === null) {
    throw new QmoeInputError('options', options, 'must be an object { samples, noise, seed }');
  }
  const samples = checkInt('samples', options.samples, 2, MAX_SAMPLES);
  const noise = options.noise ?? 0;
  if (typeof noise !== 'number' || !(noise >= 0 && noise <= MAX_NOISE)) {
    throw new QmoeInputError('noise', noise, `must be a number from 0 to ${MAX_NOISE}`);
  }
  const seed = checkSeed('seed', options.seed);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new QmoeInputError('shuffle', shuffle, 'must be true or false');

  const nOut = Math.floor(samples / 2);
  const nIn = samples - nOut;
  const x0 = new Float64Array(samples * 2);
  const y0 = new Int32Array(samples);
  for (let i = 0; i < nOut; i++) {
    const t = linspaceAt(0, Math.PI, nOut, i);
    x0[2 * i] = Math.cos(t);
    x0[2 * i + 1] = Math.sin(t);
  }
  for (let i = 0; i < nIn; i++) {
    const t = linspaceAt(0, Math.PI, nIn, i);
    const r = nOut + i;
    x0[2 * r] = 1 - Math.cos(t);
    x0[2 * r + 1] = 1 - Math.sin(t) - 0.5;
    y0[r] = 1;
  }

  const rng = new Rng(seed);
  let x = x0;
  let y = y0;
  if (shuffle) {
    const perm = rng.permutation(samples);
    x = new Float64Array(samples * 2);
    y = new Int32Array(samples);
    for (let i = 0; i < samples; i++) {
      const p = perm[i];
      x[2 * i] = x0[2 * p];
      x[2 * i + 1] = x0[2 * p + 1];
      y[i] = y0[p];
    }
  }
  if (noise > 0) {
    for (let k = 0; k < x.length; k++) x[k] += noise * rng.normal();
  }
  return { x, y, features: 2, classes: 2 };
}

/** Element i of numpy's linspace(a, b, n) (endpoint included; [a] when n = 1). */
function linspaceAt(a: number, b: number, n: number, i: number): number {
  if (n === 1) return a;
  if (i === n - 1) return b;
  return a + ((b - a) * i) / (n - 1);
}
