import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { MAX_SEED, Rng, createRng } from '../../src/data/rng.js';

describe('Rng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const sa = Array.from({ length: 20 }, () => a.next());
    const sb = Array.from({ length: 20 }, () => b.next());
    const sc = Array.from({ length: 20 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('draws uniform floats in [0, 1) with the right mean and variance', () => {
    const r = new Rng(1);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    let inRange = true;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      inRange &&= u >= 0 && u < 1;
      s += u;
      s2 += u * u;
    }
    expect(inRange).toBe(true);
    expect(s / n).toBeCloseTo(0.5, 2);
    expect(s2 / n - (s / n) ** 2).toBeCloseTo(1 / 12, 3);
  });

  it('draws standard normals (Box-Muller)', () => {
    const r = new Rng(2);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    let s4 = 0;
    let finite = true;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      finite &&= Number.isFinite(z);
      s += z;
      s2 += z * z;
      s4 += z ** 4;
    }
    expect(finite).toBe(true);
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(s2 / n).toBeCloseTo(1, 1.5);
    expect(s4 / n).toBeCloseTo(3, 0.5); // kurtosis of a normal
  });

  it('draws unbiased integers in [0, n)', () => {
    const r = new Rng(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(() => r.int(0)).toThrow(QmoeInputError);
  });

  it('shuffles by Fisher-Yates: a permutation, all orders about equally likely', () => {
    const r = new Rng(4);
    const p = r.permutation(100);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const seen = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = r.shuffle([0, 1, 2]).join('');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(6);
    for (const c of seen.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('rejects bad seeds', () => {
    for (const seed of [-1, 1.5, MAX_SEED + 1, NaN, '3']) {
      try {
        new Rng(seed as number);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(QmoeInputError);
        expect((e as QmoeInputError).argument).toBe('seed');
      }
    }
    expect(() => new Rng(0)).not.toThrow();
    expect(() => new Rng(MAX_SEED)).not.toThrow();
  });
});
