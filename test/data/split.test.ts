import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { makeMoons } from '../../src/data/moons.js';
import { stratifiedSplit, takeRows } from '../../src/data/split.js';

const F = { train: 0.7, validation: 0.15, test: 0.15 };

function count(y: ArrayLike<number>, idx: Int32Array, c: number): number {
  let n = 0;
  for (const i of idx) if (y[i] === c) n++;
  return n;
}

function checkPartition(n: number, s: { train: Int32Array; validation: Int32Array; test: Int32Array }) {
  const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i)); // disjoint and covering
  for (const part of [s.train, s.validation, s.test]) {
    for (let k = 1; k < part.length; k++) expect(part[k]).toBeGreaterThan(part[k - 1]); // ascending
  }
}

describe('stratifiedSplit', () => {
  it('splits balanced moons 70/15/15 with the class proportions kept', () => {
    const { y } = makeMoons({ samples: 1000, noise: 0.1, seed: 42 });
    const s = stratifiedSplit(y, F, 7);
    checkPartition(1000, s);
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([700, 150, 150]);
    for (const c of [0, 1]) {
      expect([count(y, s.train, c), count(y, s.validation, c), count(y, s.test, c)]).toEqual([350, 75, 75]);
    }
  });

  it('keeps proportions of unbalanced classes to within one row per class', () => {
    const y = new Int32Array(997);
    for (let i = 0; i < y.length; i++) y[i] = i % 10 === 0 ? 2 : i % 3 === 0 ? 1 : 0;
    const n = [0, 1, 2].map((c) => y.filter((v) => v === c).length);
    const s = stratifiedSplit(y, { train: 0.6, validation: 0.2, test: 0.2 }, 1);
    checkPartition(997, s);
    const f = [0.6, 0.2, 0.2];
    [s.train, s.validation, s.test].forEach((part, p) => {
      for (const c of [0, 1, 2]) expect(Math.abs(count(y, part, c) - n[c] * f[p])).toBeLessThanOrEqual(1);
    });
  });

  it('is deterministic per seed and differs between seeds', () => {
    const { y } = makeMoons({ samples: 200, seed: 1 });
    const a = stratifiedSplit(y, F, 5);
    expect(stratifiedSplit(y, F, 5)).toEqual(a);
    expect(stratifiedSplit(y, F, 6).train).not.toEqual(a.train);
  });

  it('makes every part with a positive fraction non-empty on tiny data sets', () => {
    const y = Int32Array.from([0, 0, 0, 1, 1]);
    const s = stratifiedSplit(y, { train: 0.8, validation: 0.1, test: 0.1 }, 3);
    checkPartition(5, s);
    expect(s.validation.length).toBeGreaterThan(0);
    expect(s.test.length).toBeGreaterThan(0);
    expect(s.train.length).toBe(3);
    // Two rows, three parts: the two rows can't fill all three, and nothing breaks.
    const t = stratifiedSplit(Int32Array.from([0, 1]), F, 3);
    checkPartition(2, t);
    expect(t.train.length).toBeGreaterThan(0);
  });

  it('leaves a zero-fraction part empty', () => {
    const { y } = makeMoons({ samples: 100, seed: 1 });
    const s = stratifiedSplit(y, { train: 0.8, validation: 0, test: 0.2 }, 2);
    checkPartition(100, s);
    expect(s.validation.length).toBe(0);
    expect([s.train.length, s.test.length]).toEqual([80, 20]);
  });

  it('rejects bad fractions, labels and seeds', () => {
    const y = Int32Array.from([0, 1, 0, 1]);
    const arg = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(QmoeInputError);
        return (e as QmoeInputError).argument;
      }
      return 'no error';
    };
    expect(arg(() => stratifiedSplit(y, { train: 0.7, validation: 0.1, test: 0.1 }, 1))).toBe('fractions');
    expect(arg(() => stratifiedSplit(y, { train: 1.2, validation: -0.1, test: -0.1 }, 1))).toBe('fractions.train');
    expect(arg(() => stratifiedSplit(y, { train: 0.7, validation: -0.1, test: 0.4 }, 1))).toBe('fractions.validation');
    expect(arg(() => stratifiedSplit(y, { train: 0, validation: 0.5, test: 0.5 }, 1))).toBe('fractions.train');
    expect(arg(() => stratifiedSplit([0, -1], F, 1))).toBe('y[1]');
    expect(arg(() => stratifiedSplit([], F, 1))).toBe('y');
    expect(arg(() => stratifiedSplit(y, F, -3))).toBe('seed');
  });
});

describe('takeRows', () => {
  it('picks rows in the given order, keeping the array type', () => {
    const x = Float64Array.from([0, 1, 10, 11, 20, 21]);
    expect(takeRows(x, 2, [2, 0])).toEqual(Float64Array.from([20, 21, 0, 1]));
    const y = Int32Array.from([5, 6, 7]);
    const t = takeRows(y, 1, Int32Array.from([1, 1, 2]));
    expect(t).toBeInstanceOf(Int32Array);
    expect(Array.from(t)).toEqual([6, 6, 7]);
    expect(() => takeRows(x, 2, [3])).toThrow(QmoeInputError);
    expect(() => takeRows(x, 4, [0])).toThrow(/x.length/);
  });
});
