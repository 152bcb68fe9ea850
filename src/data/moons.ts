import { QmoeInputError, checkInt } from '../errors.js';
import { SKLEARN_MOONS, SKLEARN_VERSION } from './moons-sklearn.js';
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

/** Where a Two Moons data set comes from: scikit-learn's points (the fixture) or our generator. */
export type MoonsSource = 'sklearn-fixture' | 'generator';

/**
 * The scikit-learn fixture holding make_moons(samples, noise, random_state = seed) when there is
 * one (src/data/moons-sklearn.ts, written by scripts/make-moons-fixture.py: 1000 and 500 samples,
 * noise 0.1, seed 42), else undefined.
 */
function fixtureFor(samples: number, noise: number, seed: number) {
  return SKLEARN_MOONS.find((m) => m.samples === samples && m.noise === noise && m.seed === seed);
}

/** Which source `twoMoons` takes for these settings. */
export function moonsSource(options: { samples: number; noise?: number; seed: number }): MoonsSource {
  return fixtureFor(options.samples, options.noise ?? 0, options.seed) ? 'sklearn-fixture' : 'generator';
}

/** One line saying which Two Moons a run with these settings uses (for help texts and reports). */
export function describeMoonsSource(options: { samples: number; noise?: number; seed: number }): string {
  const call = `make_moons(n_samples=${options.samples}, noise=${options.noise ?? 0}, random_state=${options.seed})`;
  return moonsSource(options) === 'sklearn-fixture'
    ? `scikit-learn ${SKLEARN_VERSION}'s ${call}, point for point (a fixture)`
    : `qmoe's generator with the meaning of ${call} (other numbers than scikit-learn's)`;
}

/**
 * Two Moons as the presets use them: scikit-learn's own points where the fixture has the
 * (samples, noise, seed) asked for (the study's make_moons(1000, noise=0.1, random_state=42)),
 * otherwise makeMoons, which has the same distribution but draws other numbers.
 */
export function twoMoons(options: MoonsOptions): Dataset & { source: MoonsSource } {
  const fixture = (options.shuffle ?? true) ? fixtureFor(options.samples, options.noise ?? 0, options.seed) : undefined;
  if (!fixture) return { ...makeMoons(options), source: 'generator' };
  return { x: Float64Array.from(fixture.x), y: Int32Array.from(fixture.y), features: 2, classes: 2, source: 'sklearn-fixture' };
}
