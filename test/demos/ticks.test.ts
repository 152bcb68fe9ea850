import { describe, expect, it } from 'vitest';
import { niceTicks, tickText } from '../../demos/lib/ticks.js';

describe('niceTicks', () => {
  it('gives round steps of 1, 2 or 5 times a power of ten inside the range', () => {
    expect(niceTicks(0.26, 0.88, 4).values).toEqual([0.4, 0.6, 0.8]);
    expect(niceTicks(0, 1, 5).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 86, 5, { integer: true }).values).toEqual([20, 40, 60, 80]);
    expect(niceTicks(1, 5, 6, { integer: true }).values).toEqual([1, 2, 3, 4, 5]);
    expect(niceTicks(-1.3, 2.4, 5).values).toEqual([-1, 0, 1, 2]);
    expect(niceTicks(0.63, 0.88, 5).values).toEqual([0.65, 0.7, 0.75, 0.8, 0.85]);
    for (const [lo, hi] of [[0.001, 0.0042], [3, 3000], [-7.7, -0.2]]) {
      const { values, step } = niceTicks(lo, hi, 5);
      expect(values.length).toBeGreaterThanOrEqual(2);
      for (const v of values) {
        expect(v).toBeGreaterThanOrEqual(lo - 1e-12);
        expect(v).toBeLessThanOrEqual(hi + 1e-12);
        expect(Math.abs(v / step - Math.round(v / step))).toBeLessThan(1e-9);
      }
      expect([1, 2, 5]).toContain(Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(3)));
    }
  });

  it('prints as many decimals as the step needs', () => {
    expect(tickText(0.4, 0.2)).toBe('0.4');
    expect(tickText(20, 20)).toBe('20');
    expect(tickText(0.75, 0.05, true)).toBe('75%');
    expect(tickText(0.905, 0.005, true)).toBe('90.5%');
    expect(tickText(-0, 1)).toBe('0');
    expect(tickText(0.05, 0.05)).toBe('0.05');
  });
});
