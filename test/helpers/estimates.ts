/** Central finite difference of `loss` in entry i of x, step h (default 1e-5: error ~h^2). */
export async function centralDifference<T extends { slice(): T; [i: number]: number }>(loss: (x: T) => number | Promise<number>, x: T, i: number, h = 1e-5): Promise<number> {
  const plus = x.slice(), minus = x.slice();
  plus[i] += h;
  minus[i] -= h;
  return ((await loss(plus)) - (await loss(minus))) / (2 * h);
}

/** The mean of entry i over independent estimates, and its standard error (sample std / sqrt(count)). */
export function meanAndStandardError(estimates: ArrayLike<number>[], i: number): { mean: number; se: number } {
  const K = estimates.length;
  const mean = estimates.reduce((a, g) => a + g[i], 0) / K;
  const sd = Math.sqrt(estimates.reduce((a, g) => a + (g[i] - mean) ** 2, 0) / (K - 1));
  return { mean, se: sd / Math.sqrt(K) };
}
