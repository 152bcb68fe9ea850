import { afterAll, describe, expect, it } from 'vitest';
import { FastCpuBackend } from '../../src/cpu/backend.js';
import { createNodePool } from '../../src/cpu/pool-node.js';
import type { WorkerPool } from '../../src/cpu/pool.js';
import { splitRanges } from '../../src/cpu/pool.js';
import type { GradientResult } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { ALL_GATES, gradientTestCircuit, mulberry32, randomBatch } from '../sim/adjoint-circuits.js';

/** Worker threads: the same bits for 1, 2 and 4 threads (chunks are reduced in chunk order). */
const pools = new Map<number, WorkerPool>([
  [2, createNodePool(1)],
  [4, createNodePool(3)],
]);
afterAll(() => pools.forEach((p) => p.dispose()));

function backend(threads: number, precision: 'f32' | 'f64'): FastCpuBackend {
  // parallelWork 0: every call is spread over the threads, however small.
  return new FastCpuBackend({ precision, pool: pools.get(threads) ?? null, chunkRows: 4, parallelWork: 0 });
}

describe('FastCpuBackend on worker threads', () => {
  it('splitRanges covers every item once, in order', () => {
    expect(splitRanges(10, 3)).toEqual([[0, 3], [3, 6], [6, 10]]);
    expect(splitRanges(2, 4)).toEqual([[0, 1], [1, 2]]);
    expect(splitRanges(0, 2)).toEqual([]);
  });

  it.each(['f32', 'f64'] as const)('%s: outputs and gradients are bitwise identical for 1, 2 and 4 threads, and match the reference', async (precision) => {
    const rng = mulberry32(5);
    const c = gradientTestCircuit(rng, 4, ALL_GATES);
    const batch = randomBatch(rng, c, 37);
    const out = { kind: 'expectZ' } as const;
    const up = Array.from({ length: 37 * 4 }, () => rng() * 2 - 1);
    const runs: { probs: ArrayLike<number>; z: ArrayLike<number>; grad: GradientResult; gradOnly: GradientResult }[] = [];
    for (const threads of [1, 2, 4]) {
      const b = backend(threads, precision);
      runs.push({
        probs: await b.probabilities(c, batch),
        z: await b.evaluate(c, batch, out),
        grad: await b.gradient(c, batch, out, up, { features: true }),
        gradOnly: await b.gradient(c, batch, out, up),
      });
    }
    for (const r of runs.slice(1)) {
      expect(r.probs).toEqual(runs[0].probs);
      expect(r.z).toEqual(runs[0].z);
      expect(r.grad.params).toEqual(runs[0].grad.params);
      expect(r.grad.features).toEqual(runs[0].grad.features);
      expect(r.gradOnly.params).toEqual(runs[0].gradOnly.params);
    }
    const want = await new CpuBackend().gradient(c, batch, out, up, { features: true });
    const tol = precision === 'f32' ? 1e-4 : 1e-9;
    want.params.forEach((v, i) => expect(Math.abs(v - runs[2].grad.params[i])).toBeLessThan(tol));
    want.features!.forEach((v, i) => expect(Math.abs(v - runs[2].grad.features![i])).toBeLessThan(tol));
  });

  it('a disposed pool fails the call instead of hanging', async () => {
    const pool = createNodePool(1);
    const b = new FastCpuBackend({ pool, chunkRows: 1, parallelWork: 0 });
    const c = { qubits: 1, features: 0, params: 0, ops: [{ gate: 'h' as const, wires: [0] }] };
    for (const p of await b.probabilities(c, { rows: 2 })) expect(p).toBeCloseTo(0.5, 6);
    pool.dispose();
    await expect(b.probabilities(c, { rows: 2 })).rejects.toThrow(/disposed/);
  });
});
