import { describe as group, expect, it } from 'vitest';
import { bootstrapMeanInterval } from '../../src/stats/bootstrap.js';
import { collapseRate, describe, median } from '../../src/stats/describe.js';
import { pairedPermutationTest } from '../../src/stats/permutation.js';
import { collapseRule, compare, sampleStats } from '../../src/stats/summary.js';
import { QmoeInputError } from '../../src/errors.js';

group('descriptive statistics', () => {
  it('mean, sample sd, median, min, max by hand', () => {
    const d = describe([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(d.mean).toBe(5);
    // Sum of squares 32, n - 1 = 7.
    expect(d.sd).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(d.median).toBe(4.5);
    expect([d.min, d.max, d.n]).toEqual([2, 9, 8]);
    expect(median([3, 1, 2])).toBe(2);
    expect(describe([0.5]).sd).toBeNull();
  });

  it('the collapse rate counts the runs strictly below the threshold', () => {
    expect(collapseRate([0.88, 0.9, 0.95, 0.87], 0.9)).toEqual({ threshold: 0.9, count: 2, rate: 0.5 });
    // Elsewhere: 5 points under the model's own median (0.97 here).
    const s = sampleStats([0.97, 0.97, 0.91, 0.98, 0.96], collapseRule('mnist'));
    expect(s.collapse.threshold).toBeCloseTo(0.92, 12);
    expect(s.collapse.count).toBe(1);
    expect(sampleStats([0.97, 0.89], collapseRule('moons')).collapse.count).toBe(1);
  });

  it('refuses empty or non-finite samples, naming them', () => {
    expect(() => describe([])).toThrow(QmoeInputError);
    expect(() => describe([1, NaN])).toThrow(/values\[1\]/);
  });
});

group('paired permutation test', () => {
  it('d = 1, 2, 3: the sign flips give sums 6, 4, 2, 0, 0, -2, -4, -6, so p = 2/8', () => {
    const t = pairedPermutationTest([0, 0, 0], [1, 2, 3]);
    expect(t).toMatchObject({ n: 3, meanDifference: 2, p: 0.25, method: 'exact', assignments: 8 });
    // Symmetric in a and b.
    expect(pairedPermutationTest([1, 2, 3], [0, 0, 0]).p).toBe(0.25);
  });

  it('ties with the observed sum count (d = 1, 1, 1, -1: |sum| >= 2 for 10 of 16 flips)', () => {
    // Sums: four signs of +/-1: |sum| = 4 twice, 2 eight times, 0 six times: 10 of 16 reach 2.
    expect(pairedPermutationTest([0, 0, 0, 1], [1, 1, 1, 0]).p).toBe(10 / 16);
    // Differences of accuracies in steps of 1/150 tie exactly despite rounding.
    const a = [0.98, 0.9733333333333334, 0.9866666666666667];
    const b = a.map((v) => v + 1 / 150);
    expect(pairedPermutationTest(a, b).p).toBe(0.25);
  });

  it('all differences zero: p = 1', () => {
    expect(pairedPermutationTest([0.9, 0.8], [0.9, 0.8]).p).toBe(1);
  });

  it('20 pairs are enumerated exactly; larger samples use seeded Monte Carlo close to the exact value', () => {
    const a = Array.from({ length: 22 }, (_, i) => (i * 7) % 5);
    const b = a.map((v, i) => v + (i % 3 === 0 ? 1 : -0.5) + 0.1);
    const exact = pairedPermutationTest(a, b, { maxExact: 22 });
    expect(exact.method).toBe('exact');
    const mc = pairedPermutationTest(a, b, { maxExact: 20, resamples: 50_000, seed: 3 });
    expect(mc.method).toBe('monte-carlo');
    expect(mc.p).toBe(pairedPermutationTest(a, b, { maxExact: 20, resamples: 50_000, seed: 3 }).p);
    // Binomial standard error of p at 50000 draws: under 0.0023.
    expect(Math.abs(mc.p - exact.p)).toBeLessThan(0.01);
    expect(pairedPermutationTest(a.slice(0, 20), b.slice(0, 20)).method).toBe('exact');
  });

  it('refuses unpaired samples', () => {
    expect(() => pairedPermutationTest([1, 2], [1])).toThrow(/paired by seed/);
  });
});

group('bootstrap interval of the mean', () => {
  it('two values 0 and 1: resample means 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4, so the 95% interval is [0, 1]', () => {
    const i = bootstrapMeanInterval([0, 1], { seed: 7, resamples: 4000 });
    expect([i.low, i.high]).toEqual([0, 1]);
    // An 40% interval excludes both tails (each 25%): [1/2, 1/2].
    const narrow = bootstrapMeanInterval([0, 1], { seed: 7, resamples: 4000, level: 0.4 });
    expect([narrow.low, narrow.high]).toEqual([0.5, 0.5]);
  });

  it('is fixed by its seed, and close to the exact bootstrap distribution of three values', () => {
    const v = [0.9, 0.96, 0.99];
    const a = bootstrapMeanInterval(v, { seed: 11 });
    expect(bootstrapMeanInterval(v, { seed: 11 })).toEqual(a);
    // Exact: the 27 equally likely resamples; their means' 2.5% and 97.5% quantiles.
    const means: number[] = [];
    for (const x of v) for (const y of v) for (const z of v) means.push((x + y + z) / 3);
    means.sort((p, q) => p - q);
    // 1 of 27 resamples (3.7%) is all 0.9: the 2.5% quantile is 0.9; likewise 0.99 at the top.
    expect(a.low).toBeCloseTo(means[0], 12);
    expect(a.high).toBeCloseTo(means[26], 12);
    const mid = bootstrapMeanInterval(v, { seed: 11, level: 0.5 });
    // The 25% and 75% points of the exact distribution: the 7th and 21st of the 27 sorted means.
    expect(mid.low).toBeCloseTo(means[6], 12);
    expect(mid.high).toBeCloseTo(means[20], 12);
  });

  it('a constant sample has a point interval', () => {
    const i = bootstrapMeanInterval([0.5, 0.5, 0.5]);
    expect([i.low, i.high]).toEqual([0.5, 0.5]);
  });
});

group('compare', () => {
  it('gives the mean paired difference, its interval and the exact p-value', () => {
    const c = compare('B - A', [0.9, 0.88, 0.95], [0.97, 0.98, 0.96]);
    expect(c.meanDifference).toBeCloseTo((0.07 + 0.1 + 0.01) / 3, 12);
    expect(c.test.p).toBe(0.25);
    expect(c.significant).toBe(false);
    expect(c.interval.low).toBeLessThanOrEqual(c.meanDifference);
    expect(c.interval.high).toBeGreaterThanOrEqual(c.meanDifference);
  });
});
