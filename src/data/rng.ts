import { QmoeInputError, checkInt } from '../errors.js';

/** Largest seed: seeds are unsigned 32-bit integers, as numpy's `random_state`. */
export const MAX_SEED = 0xffffffff;

/** Throws QmoeInputError unless `seed` is an integer from 0 to MAX_SEED; returns it. */
export function checkSeed(argument: string, seed: unknown): number {
  return checkInt(argument, seed, 0, MAX_SEED);
}

/**
 * A small seeded pseudo-random generator, deterministic per seed.
 *
 * The core is Mulberry32 (Tommy Ettinger's 32-bit generator: a Weyl sequence with step
 * 0x6d2b79f5 passed through a multiply-xorshift output hash; period 2^32, passes
 * PractRand/BigCrush-level tests for its size). It is plenty for data generation, shuffles and
 * initializations; it is not cryptographic. Floats from `next()` use two 32-bit outputs for
 * 53 random bits, as numpy's `random_sample` does.
 *
 * Not bit-compatible with numpy/scikit-learn: `makeMoons(..., seed: 42)` has the same
 * distribution as `make_moons(random_state=42)`, not the same numbers.
 */
export class Rng {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = checkSeed('seed', seed) >>> 0;
  }

  /** A uniform unsigned 32-bit integer. */
  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const a = this.uint32() >>> 5; // 27 bits
    const b = this.uint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A uniform integer in [0, n), without modulo bias (rejection sampling); 1 <= n <= 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new QmoeInputError('n', n, 'must be an integer from 1 to 2^32');
    }
    // Reject the top (2^32 mod n) values so every residue is equally likely.
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const u = this.uint32();
      if (u < limit) return u % n;
    }
  }

  /**
   * A standard normal deviate (mean 0, variance 1) by the Box-Muller transform: from uniform
   * u1 in (0, 1] and u2 in [0, 1), r = sqrt(-2 ln u1) and the pair (r cos 2 pi u2, r sin 2 pi u2)
   * are two independent normals; the second is kept for the next call.
   */
  normal(): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return z;
    }
    const u1 = 1 - this.next(); // (0, 1]: log(u1) is finite
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const phi = 2 * Math.PI * u2;
    this.spare = r * Math.sin(phi);
    return r * Math.cos(phi);
  }

  /** Shuffles `a` in place by Fisher-Yates (every permutation equally likely) and returns it. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    checkInt('n', n, 0, 0x7fffffff);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

/** A new generator for `seed` (an integer from 0 to MAX_SEED). */
export function createRng(seed: number): Rng {
  return new Rng(seed);
}
