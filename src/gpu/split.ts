import { QmoeGpuMemoryError } from '../errors.js';

/**
 * Makes what a batch of `rows` rows needs (`make(rows)`, e.g. a runner and its buffers), halving
 * the rows while the GPU runs out of memory; the caller then runs the batch in chunks of the
 * rows returned. When even one row does not fit, the QmoeGpuMemoryError of that row is thrown.
 */
export async function allocateSplitting<T>(rows: number, make: (rows: number) => Promise<T>): Promise<{ value: T; rows: number }> {
  for (let r = rows; ; r = Math.max(1, Math.floor(r / 2))) {
    try {
      return { value: await make(r), rows: r };
    } catch (e) {
      if (!(e instanceof QmoeGpuMemoryError)) throw e;
      if (r === 1) throw new QmoeGpuMemoryError(`${e.message}; even one row does not fit`, e.bytes);
    }
  }
}
