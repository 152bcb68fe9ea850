import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { makeMoons } from '../../src/data/moons.js';
import { stratifiedSplit, takeRows } from '../../src/data/split.js';
import { ANGLE_RANGES, applyMinMax, applyScaler, applyStandard, fitMinMax, fitStandard } from '../../src/data/scale.js';

describe('min-max scaling to angles', () => {
  const d = makeMoons({ samples: 600, noise: 0.2, seed: 11 });
  const s = stratifiedSplit(d.y, { train: 0.7, validation: 0.15, test: 0.15 }, 11);

  it('maps the training min and max of each feature exactly to lo and hi', () => {
    for (const range of [ANGLE_RANGES.code, [-1.25, 0.3] as const]) {
      const scaler = fitMinMax(d.x, 2, s.train);
      const out = applyMinMax(d.x, 2, scaler, range);
      for (const j of [0, 1]) {
        const col = Array.from(s.train, (r) => out[2 * r + j]);
        expect(Math.min(...col)).toBe(range[0]);
        expect(Math.max(...col)).toBe(range[1]);
      }
    }
    expect(ANGLE_RANGES.code).toEqual([0, Math.PI]);
    expect(ANGLE_RANGES.paper).toEqual([0, Math.PI]);
  });

  it('is fitted on the training rows only; held-out rows may leave the range', () => {
    const fitted = fitMinMax(d.x, 2, s.train);
    const train = takeRows(d.x, 2, s.train);
    expect(fitted).toEqual(fitMinMax(train, 2));
    // Hold out the rows with the largest first and the smallest second feature: the scaler
    // fitted without them does not see them, and they land outside [0, pi].
    const n = d.y.length;
    let hiRow = 0;
    let loRow = 0;
    for (let r = 0; r < n; r++) {
      if (d.x[2 * r] > d.x[2 * hiRow]) hiRow = r;
      if (d.x[2 * r + 1] < d.x[2 * loRow + 1]) loRow = r;
    }
    const rows = Array.from({ length: n }, (_, r) => r).filter((r) => r !== hiRow && r !== loRow);
    const sc = fitMinMax(d.x, 2, rows);
    expect(sc).not.toEqual(fitMinMax(d.x, 2));
    const out = applyMinMax(d.x, 2, sc); // default [0, pi]
    expect(out[2 * hiRow]).toBeGreaterThan(Math.PI);
    expect(out[2 * loRow + 1]).toBeLessThan(0);
    for (const r of rows) for (const j of [0, 1]) expect(out[2 * r + j] >= 0 && out[2 * r + j] <= Math.PI).toBe(true);
    // The same affine map: a held-out value beyond the training max lands beyond pi.
    const x = Float64Array.from([0, 5, 10, 20, -10]);
    const small = fitMinMax(x, 1, [0, 1, 2]);
    expect(Array.from(applyMinMax(x, 1, small, [0, 1]))).toEqual([0, 0.5, 1, 2, -1]);
  });

  it('maps a constant feature to lo without dividing by zero', () => {
    const x = Float64Array.from([3, 1, 3, 2, 3, 5]);
    const sc = fitMinMax(x, 2);
    const out = applyMinMax(x, 2, sc, [0.5, 2]);
    expect([out[0], out[2], out[4]]).toEqual([0.5, 0.5, 0.5]);
    expect([out[1], out[3], out[5]]).toEqual([0.5, 0.875, 2]); // (x - 1) / 4 of the way from 0.5 to 2
  });

  it('serializes as plain JSON and reapplies identically', () => {
    const sc = fitMinMax(d.x, 2, s.train);
    const back = JSON.parse(JSON.stringify(sc));
    expect(back).toEqual(sc);
    expect(applyScaler(d.x, 2, back)).toEqual(applyMinMax(d.x, 2, sc));
  });

  it('rejects bad input', () => {
    const arg = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(QmoeInputError);
        return (e as QmoeInputError).argument;
      }
      return 'no error';
    };
    expect(arg(() => fitMinMax([1, 2, 3], 2))).toBe('x.length');
    expect(arg(() => fitMinMax([1, NaN], 2))).toBe('x[row 0, column 1]');
    expect(arg(() => fitMinMax([1, 2], 2, [1]))).toBe('rows[0]');
    expect(arg(() => fitMinMax([1, 2], 2, []))).toBe('rows');
    expect(arg(() => fitMinMax([1, 2], 0))).toBe('width');
    const sc = fitMinMax([1, 2, 3, 4], 2);
    expect(arg(() => applyMinMax([1, 2, 3], 3, sc))).toBe('scaler.min');
    expect(arg(() => applyMinMax([1, 2], 2, sc, [1, 0]))).toBe('range');
    expect(arg(() => applyStandard([1, 2], 2, sc as never))).toBe('scaler');
  });
});

describe('standard scaling', () => {
  it('gives the training rows mean 0 and standard deviation 1 (population)', () => {
    const d = makeMoons({ samples: 400, noise: 0.1, seed: 2 });
    const rows = Int32Array.from({ length: 300 }, (_, i) => i);
    const sc = fitStandard(d.x, 2, rows);
    const out = applyStandard(d.x, 2, sc);
    for (const j of [0, 1]) {
      const col = Array.from(rows, (r) => out[2 * r + j]);
      const m = col.reduce((a, b) => a + b, 0) / col.length;
      const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
      expect(m).toBeCloseTo(0, 12);
      expect(v).toBeCloseTo(1, 12);
    }
  });

  it('matches a hand computation and centers a constant feature', () => {
    const x = [1, 7, 3, 7, 5, 7];
    const sc = fitStandard(x, 2);
    expect(sc).toEqual({ kind: 'standard', mean: [3, 7], std: [Math.sqrt(8 / 3), 0] });
    const out = applyStandard(x, 2, JSON.parse(JSON.stringify(sc)));
    expect(out[0]).toBeCloseTo(-2 / Math.sqrt(8 / 3), 14);
    expect([out[1], out[3], out[5]]).toEqual([0, 0, 0]);
  });
});
