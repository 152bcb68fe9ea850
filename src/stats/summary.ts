import { bootstrapMeanInterval, type Interval } from './bootstrap.js';
import { collapseRate, describe, median, type Description } from './describe.js';
import { pairedPermutationTest, type PermutationTest } from './permutation.js';

/** The significance level the tables mark differences at (two-sided, per comparison). */
export const ALPHA = 0.05;

/** Scores of one model over its seeds, as the tables show them. */
export interface SampleStats extends Description {
  /** The same as sd (the name the tables' readers used before). */
  std: number | null;
  values: number[];
  /** 95% percentile bootstrap interval of the mean. */
  interval: Interval;
  collapse: { threshold: number; count: number; rate: number };
}

/** A paired comparison b - a over the same seeds. */
export interface Comparison {
  /** e.g. "B - A". */
  name: string;
  meanDifference: number;
  /** Bootstrap interval of the mean paired difference. */
  interval: Interval;
  test: PermutationTest;
  /** p < ALPHA. */
  significant: boolean;
  alpha: number;
}

export interface CollapseRule {
  /** Fixed threshold (moons: 0.9), or null: `belowMedian` under the median of the model's own runs. */
  threshold: number | null;
  belowMedian: number;
  /** In words, for the tables. */
  description: string;
}

/**
 * The collapse rule of a data set. Two Moons: a run below 90% test accuracy (one linear expert
 * alone scores about 85 to 88%: the router stopped routing). Elsewhere a single linear expert is
 * already good (MNIST 0 vs 1 above 99%), so no fixed line separates a collapsed router: a run
 * collapses when it is more than 5 points below the median of its model's runs (a bad optimum
 * of that model).
 */
export function collapseRule(dataset: string): CollapseRule {
  if (dataset === 'moons') return { threshold: 0.9, belowMedian: 0, description: 'share of runs below 90% test accuracy' };
  return { threshold: null, belowMedian: 0.05, description: "share of runs more than 5 points below the median of the model's runs" };
}

/** Description, bootstrap interval and collapse rate of a model's scores (seed order). */
export function sampleStats(values: number[], rule: CollapseRule, seed = 1): SampleStats {
  const d = describe(values);
  const threshold = rule.threshold ?? median(values) - rule.belowMedian;
  return { ...d, std: d.sd, values, interval: bootstrapMeanInterval(values, { seed }), collapse: collapseRate(values, threshold) };
}

/** The paired comparison b - a (values in the same seed order). */
export function compare(name: string, a: number[], b: number[], seed = 1): Comparison {
  const diff = b.map((v, i) => v - a[i]);
  const test = pairedPermutationTest(a, b, { seed });
  return { name, meanDifference: test.meanDifference, interval: bootstrapMeanInterval(diff, { seed }), test, significant: test.p < ALPHA, alpha: ALPHA };
}

/** "p = 0.0123" / "p < 1e-6" for the tables. */
export function formatP(p: number): string {
  if (p < 1e-4) return `p = ${p.toExponential(1)}`;
  return `p = ${p < 0.001 ? p.toFixed(5) : p.toFixed(4)}`;
}

/** The method of the p-values, in words. */
export function describeTest(t: PermutationTest): string {
  return t.method === 'exact'
    ? `exact paired permutation test (all 2^${t.n} sign flips of the ${t.n} per-seed differences)`
    : `paired permutation test, ${t.assignments} seeded Monte Carlo sign flips of the ${t.n} per-seed differences (p = (1 + hits) / (1 + draws))`;
}

/** A difference of fractions in percentage points with its sign: "+1.33", "-0.67", "+0.00". */
export function formatPoints(v: number): string {
  const t = (100 * v).toFixed(2);
  return Number(t) === 0 ? '+0.00' : `${v > 0 ? '+' : ''}${t}`;
}
