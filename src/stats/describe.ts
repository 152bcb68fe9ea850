import { QmoeInputError } from '../errors.js';

/** Mean, spread and order statistics of a sample. */
export interface Description {
  n: number;
  mean: number;
  /** Sample standard deviation (divisor n - 1); null for fewer than two values. */
  sd: number | null;
  median: number;
  min: number;
  max: number;
}

/** Throws unless `values` is a non-empty array of finite numbers. */
export function checkSample(argument: string, values: readonly number[]): void {
  if (!Array.isArray(values) || values.length < 1) throw new QmoeInputError(argument, values, 'must be a non-empty array of numbers');
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new QmoeInputError(`${argument}[${i}]`, v, 'must be a finite number');
  });
}

export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** The median: the middle value, or the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

export function describe(values: readonly number[]): Description {
  checkSample('values', values);
  const n = values.length;
  const m = mean(values);
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (n - 1)) : null;
  return { n, mean: m, sd, median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * The collapse rate: the share of runs whose score is below `threshold`. On Two Moons the
 * threshold is 90%: a router that stopped routing leaves one linear expert, which scores about
 * 85 to 88% there (see collapseThreshold).
 */
export function collapseRate(values: readonly number[], threshold: number): { threshold: number; count: number; rate: number } {
  checkSample('values', values);
  const count = values.filter((v) => v < threshold).length;
  return { threshold, count, rate: count / values.length };
}
