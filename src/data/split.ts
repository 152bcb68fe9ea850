import { QmoeInputError, checkInt } from '../errors.js';
import { Rng, checkSeed } from './rng.js';

/** Fractions of the rows for each part; each in [0, 1], train > 0, summing to 1 (within 1e-9). */
export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

/** Row indices of each part, in ascending order; the parts are disjoint and cover every row. */
export interface Split {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

const PARTS = ['train', 'validation', 'test'] as const;

/**
 * A stratified split of the rows of a labelled data set: each class keeps (to within one row)
 * its proportion in every part.
 *
 * Per class (ascending label order), the class's row indices are shuffled with one generator
 * seeded by `seed`, and the first round(n_c * train) go to train, the next round(n_c *
 * validation) to validation, the rest to test, where the rounding is by largest remainder so the
 * counts sum to n_c exactly (ties go to the earlier part: train, validation, test). Then every
 * part with a fraction > 0 that came out empty (a small data set) takes one row from the largest
 * part (from the class most over its share there), as long as that part keeps at least one; so
 * every such part is non-empty whenever there are at least as many rows as parts with a
 * fraction > 0. Deterministic per seed.
 *
 * @param y class labels, integers >= 0 (the classes are 0..max(y)).
 */
export function stratifiedSplit(y: ArrayLike<number>, fractions: SplitFractions, seed: number): Split {
  const labels = checkLabels('y', y);
  const f = checkFractions(fractions);
  const rng = new Rng(checkSeed('seed', seed));

  let classes = 0;
  for (let i = 0; i < labels.length; i++) classes = Math.max(classes, labels[i] + 1);
  const members: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) members[labels[i]].push(i);
  for (const m of members) rng.shuffle(m);

  // counts[c][p]: rows of class c in part p.
  const counts = members.map((m) => largestRemainder(m.length, f));

  // Make every part with a positive fraction non-empty when there are rows enough.
  const total = (p: number) => counts.reduce((s, row) => s + row[p], 0);
  for (let p = 0; p < 3; p++) {
    if (f[p] === 0 || total(p) > 0) continue;
    let donor = -1;
    for (let q = 0; q < 3; q++) if (q !== p && total(q) > 1 && (donor < 0 || total(q) > total(donor))) donor = q;
    if (donor < 0) continue; // fewer rows than parts: nothing to give
    // Take from the class that is most over its share in the donor, to keep proportions.
    const over = (c: number) => counts[c][donor] - members[c].length * f[donor];
    let cls = -1;
    for (let c = 0; c < classes; c++) if (counts[c][donor] > 0 && (cls < 0 || over(c) > over(cls))) cls = c;
    counts[cls][donor]--;
    counts[cls][p]++;
  }

  const parts: number[][] = [[], [], []];
  for (let c = 0; c < classes; c++) {
    let at = 0;
    for (let p = 0; p < 3; p++) {
      for (let k = 0; k < counts[c][p]; k++) parts[p].push(members[c][at++]);
    }
  }
  const out = parts.map((rows) => Int32Array.from(rows).sort());
  return { train: out[0], validation: out[1], test: out[2] };
}

/**
 * The rows `indices` of `x` (row-major, `width` values per row), in that order, as a new array
 * of the same type. `takeRows(y, 1, indices)` picks labels.
 */
export function takeRows<T extends Float64Array | Float32Array | Int32Array>(x: T, width: number, indices: ArrayLike<number>): T {
  checkInt('width', width, 1, 0x7fffffff);
  if (!x || typeof x.length !== 'number') throw new QmoeInputError('x', x, 'must be a typed array');
  if (x.length % width !== 0) {
    throw new QmoeInputError('x.length', x.length, `must be a multiple of width (${width})`);
  }
  const rows = x.length / width;
  const Ctor = x.constructor as new (n: number) => T;
  const out = new Ctor(indices.length * width);
  for (let k = 0; k < indices.length; k++) {
    const r = indices[k];
    if (!Number.isInteger(r) || r < 0 || r >= rows) {
      throw new QmoeInputError(`indices[${k}]`, r, `must be an integer row index from 0 to ${rows - 1}`);
    }
    for (let j = 0; j < width; j++) out[k * width + j] = x[r * width + j];
  }
  return out;
}

/** Checks class labels: a non-empty array of integers >= 0. */
export function checkLabels(argument: string, y: unknown): ArrayLike<number> {
  const a = y as ArrayLike<number>;
  if (!a || typeof a !== 'object' || typeof a.length !== 'number' || a.length < 1) {
    throw new QmoeInputError(argument, y, 'must be a non-empty array of class labels');
  }
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new QmoeInputError(`${argument}[${i}]`, v, 'class labels must be integers >= 0');
    }
  }
  return a;
}

function checkFractions(fractions: SplitFractions): number[] {
  if (typeof fractions !== 'object' || fractions === null) {
    throw new QmoeInputError('fractions', fractions, 'must be an object { train, validation, test }');
  }
  const f = PARTS.map((p) => {
    const v = fractions[p];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw new QmoeInputError(`fractions.${p}`, v, 'must be a number from 0 to 1');
    }
    return v;
  });
  if (f[0] === 0) throw new QmoeInputError('fractions.train', f[0], 'must be > 0');
  const sum = f[0] + f[1] + f[2];
  if (Math.abs(sum - 1) > 1e-9) {
    throw new QmoeInputError('fractions', fractions, `train + validation + test must be 1 (it is ${sum})`);
  }
  return f;
}

/** Integer counts summing to n, each floor(n f_p) or one more, the extras to the largest remainders. */
function largestRemainder(n: number, f: number[]): number[] {
  const exact = f.map((v) => n * v);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((s, v) => s + v, 0);
  const order = [0, 1, 2].sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  for (const p of order) {
    if (left <= 0) break;
    if (f[p] > 0) {
      counts[p]++;
      left--;
    }
  }
  // Rounding of n * f near integers can leave a unit over: give it to train.
  counts[0] += left;
  return counts;
}
