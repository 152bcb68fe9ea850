import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/acquire.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { skipGpu } from '../helpers/gpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';

/**
 * Dawn's instance must outlive its devices (README, "GPU acquisition"): when the
 * object from create() was collected, the process died at random while waiting on GPU work.
 * acquireGpu keeps it; this test holds nothing but the context, forces garbage collection
 * between 500 dispatches of the fused kernel (one workgroup barrier per gate) with readbacks, and
 * checks every result against the CPU.
 */
describe.skipIf(skipGpu)('GPU stability under garbage collection', () => {
  it('500 dispatches with readbacks and forced GC: no crash, results within 1e-5', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'run with node --expose-gc (vitest.config.ts sets it)').toBeTypeOf('function');
    const gpu = (await acquireGpu()).gpu;
    expect(gpu, 'a WebGPU adapter').not.toBeNull();
    gc!();
    const rng = mulberry32(42);
    const circuit = randomCircuit(rng, { qubits: 6, gates: 60, features: 6, params: 8 });
    const rows = 7;
    const cpu = new CpuBackend();
    const backend = new WebGpuBackend(gpu!, { path: 'fused', real: 'never' });
    let worst = 0;
    for (let i = 0; i < 500; i++) {
      const input = {
        rows,
        features: Array.from({ length: rows * 6 }, () => rng() * 6 - 3),
        params: Array.from({ length: 8 }, () => rng() * 6 - 3),
      };
      const got = await backend.probabilities(circuit, input);
      if (i % 10 === 0) {
        const want = await cpu.probabilities(circuit, input);
        for (let k = 0; k < got.length; k++) worst = Math.max(worst, Math.abs(got[k] - want[k]));
      }
      if (i % 5 === 0) gc!();
    }
    expect(worst).toBeLessThan(1e-5);
    expect(gpu!.uncapturedErrors).toEqual([]);
    expect(gpu!.lostReason).toBeNull();
    gpu!.destroy();
  });
});
