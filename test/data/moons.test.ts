import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { makeMoons } from '../../src/data/moons.js';

/** Mean of sin(t) over t = linspace(0, pi, n): sum_k sin(pi k / (n - 1)) = cot(pi / (2 (n - 1))). */
function meanSin(n: number): number {
  return 1 / Math.tan(Math.PI / (2 * (n - 1))) / n;
}

function classStats(x: Float64Array, y: Int32Array) {
  const s = [
    { n: 0, x: 0, y: 0 },
    { n: 0, x: 0, y: 0 },
  ];
  for (let i = 0; i < y.length; i++) {
    const c = s[y[i]];
    c.n++;
    c.x += x[2 * i];
    c.y += x[2 * i + 1];
  }
  return s.map((c) => ({ n: c.n, mx: c.x / c.n, my: c.y / c.n }));
}

function expectInputError(f: () => unknown, argument: string) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(QmoeInputError);
    expect((e as QmoeInputError).argument).toBe(argument);
    return;
  }
  expect.unreachable(`no error for ${argument}`);
}

describe('makeMoons', () => {
  it('has the shape and the class balance of make_moons', () => {
    const d = makeMoons({ samples: 1000, noise: 0.1, seed: 42 });
    expect(d.features).toBe(2);
    expect(d.classes).toBe(2);
    expect(d.x).toBeInstanceOf(Float64Array);
    expect(d.y).toBeInstanceOf(Int32Array);
    expect(d.x.length).toBe(2000);
    expect(d.y.length).toBe(1000);
    const odd = makeMoons({ samples: 7, seed: 1 });
    expect(Array.from(odd.y).filter((v) => v === 0).length).toBe(3); // floor(7 / 2) outer
    expect(Array.from(odd.y).filter((v) => v === 1).length).toBe(4);
    expect(classStats(d.x, d.y).map((c) => c.n)).toEqual([500, 500]);
  });

  it('puts noise-free points on the two unit half circles', () => {
    const d = makeMoons({ samples: 501, noise: 0, seed: 3 });
    for (let i = 0; i < d.y.length; i++) {
      const [a, b] = [d.x[2 * i], d.x[2 * i + 1]];
      if (d.y[i] === 0) {
        expect(Math.hypot(a, b)).toBeCloseTo(1, 12);
        expect(b).toBeGreaterThanOrEqual(-1e-15);
      } else {
        expect(Math.hypot(a - 1, b - 0.5)).toBeCloseTo(1, 12);
        expect(b).toBeLessThanOrEqual(0.5 + 1e-15);
      }
    }
  });

  it('has the known class centroids without noise, and close to them with noise', () => {
    const n = 1000;
    const clean = classStats(...(Object.values(makeMoons({ samples: n, seed: 5 })).slice(0, 2) as [Float64Array, Int32Array]));
    const ms = meanSin(n / 2);
    expect(ms).toBeCloseTo(2 / Math.PI, 2);
    expect(clean[0].mx).toBeCloseTo(0, 12);
    expect(clean[0].my).toBeCloseTo(ms, 12);
    expect(clean[1].mx).toBeCloseTo(1, 12);
    expect(clean[1].my).toBeCloseTo(0.5 - ms, 12);

    const noisy = makeMoons({ samples: 4000, noise: 0.1, seed: 6 });
    const st = classStats(noisy.x, noisy.y);
    const m = meanSin(2000);
    expect(Math.abs(st[0].mx - 0)).toBeLessThan(0.01);
    expect(Math.abs(st[0].my - m)).toBeLessThan(0.01);
    expect(Math.abs(st[1].mx - 1)).toBeLessThan(0.01);
    expect(Math.abs(st[1].my - (0.5 - m))).toBeLessThan(0.01);
  });

  it('adds gaussian noise with the given standard deviation to both coordinates', () => {
    const clean = makeMoons({ samples: 20000, seed: 9, shuffle: false });
    const noisy = makeMoons({ samples: 20000, noise: 0.25, seed: 9, shuffle: false });
    expect(noisy.y).toEqual(clean.y);
    for (const col of [0, 1]) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < 20000; i++) {
        const e = noisy.x[2 * i + col] - clean.x[2 * i + col];
        s += e;
        s2 += e * e;
      }
      expect(Math.abs(s / 20000)).toBeLessThan(0.01);
      expect(Math.sqrt(s2 / 20000 - (s / 20000) ** 2)).toBeCloseTo(0.25, 2);
    }
  });

  it('shuffles the rows (unshuffled: outer moon first)', () => {
    const plain = makeMoons({ samples: 100, seed: 1, shuffle: false });
    expect(Array.from(plain.y.subarray(0, 50)).every((v) => v === 0)).toBe(true);
    const mixed = makeMoons({ samples: 100, seed: 1 });
    expect(Array.from(mixed.y.subarray(0, 50)).some((v) => v === 1)).toBe(true);
    // Same multiset of points: a shuffle of the unshuffled set.
    const key = (d: typeof plain) =>
      Array.from({ length: 100 }, (_, i) => `${d.y[i]}:${d.x[2 * i].toFixed(12)},${d.x[2 * i + 1].toFixed(12)}`).sort();
    expect(key(mixed)).toEqual(key(plain));
  });

  it('is deterministic per seed; different seeds differ', () => {
    const a = makeMoons({ samples: 300, noise: 0.1, seed: 42 });
    const b = makeMoons({ samples: 300, noise: 0.1, seed: 42 });
    const c = makeMoons({ samples: 300, noise: 0.1, seed: 43 });
    expect(a.x).toEqual(b.x);
    expect(a.y).toEqual(b.y);
    expect(a.x).not.toEqual(c.x);
    expect(a.y).not.toEqual(c.y);
  });

  it('rejects bad arguments with QmoeInputError naming the argument', () => {
    for (const samples of [1, 0, -5, 2.5, NaN, '100', undefined]) {
      expectInputError(() => makeMoons({ samples: samples as number, noise: 0.1, seed: 1 }), 'samples');
    }
    for (const noise of [-0.1, Infinity, NaN, '0.1']) {
      expectInputError(() => makeMoons({ samples: 10, noise: noise as number, seed: 1 }), 'noise');
    }
    for (const seed of [-1, 0.5, 2 ** 32, undefined]) {
      expectInputError(() => makeMoons({ samples: 10, noise: 0.1, seed: seed as number }), 'seed');
    }
    expectInputError(() => makeMoons(null as never), 'options');
    const e = (() => {
      try {
        makeMoons({ samples: 1, seed: 1 });
      } catch (err) {
        return err as QmoeInputError;
      }
    })();
    expect(e?.message).toMatch(/samples: 1 is invalid; must be an integer from 2 to/);
  });
});
