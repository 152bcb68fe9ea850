import { describe, expect, it } from 'vitest';
import { initParams, makeSpec } from '../../src/moe/models.js';
import { NoisyBackend } from '../../src/noise/backend.js';
import { createNoisyCpuEngine } from '../../src/noise/training.js';
import type { TrainingData } from '../../src/train/engine.js';
import { gpuForTests, skipGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, paramCircuit, randomBatch } from './helpers.js';

/** 13 qubits: beyond the workgroup kernels of trajectories and of the noise-aware adjoint on SwiftShader (32 KiB). */
const N = 13;

describe.skipIf(skipGpu)('NoisyBackend on the GPU at 13 qubits (global-memory trajectories and gradient)', () => {
  const device = gpuForTests();

  it("gives the CPU's trajectory outputs and, with the same draws, its gradients", async () => {
    const rng = mulberry32(23);
    // Complex: a real 13-qubit state (32 KiB) would still fit the workgroup trajectories kernel.
    const circuit = paramCircuit(rng, N, 24, false);
    const input = randomBatch(rng, circuit, 3);
    const model = { p: 0.1, p2: 0.15 };
    const cpu = new NoisyBackend(model, { trajectories: 3, seed: 9 });
    const onGpu = new NoisyBackend(model, { trajectories: 3, seed: 9, gpu: device(), gpuRows: 3 });
    try {
      const output = { kind: 'experts' as const, experts: 4 };
      expect(maxAbsDiff(await onGpu.evaluate(circuit, input, output), await cpu.evaluate(circuit, input, output))).toBeLessThan(1e-5);
      const up = Array.from({ length: 3 * 4 }, () => rng() * 2 - 1);
      // Two steps: fresh draws each (step counters 1 and 2) on both.
      for (let k = 0; k < 2; k++) {
        const want = (await cpu.gradient(circuit, input, output, up)).params;
        const got = (await onGpu.gradient(circuit, input, output, up)).params;
        let scale = 1e-2;
        for (const v of want) scale = Math.max(scale, Math.abs(v));
        expect(maxAbsDiff(got, want) / scale).toBeLessThan(1e-4);
      }
    } finally {
      onGpu.dispose();
    }
  });

  // 14 qubits: the router's real states (64 KiB) are beyond the workgroup trajectories kernel too.
  it('trains a 14-qubit noisy router with the losses of the CPU engine', async () => {
    const N = 14;
    const spec = makeSpec({ router: 'quantum', preset: 'paper', features: N, classes: 2, layers: 1 });
    const rng = mulberry32(31);
    const data = (rows: number): TrainingData => ({ x: Float64Array.from({ length: rows * N }, () => rng() * Math.PI), y: Int32Array.from({ length: rows }, () => Math.floor(rng() * 2)), rows, features: N, classes: 2 });
    const train = data(5);
    const params = initParams(spec, { seed: 4 });
    const results: number[][] = [];
    for (const where of ['cpu', 'gpu'] as const) {
      const { engine, noise } = createNoisyCpuEngine(spec, { lr: 0.05, p: 0.05, trajectories: 2, seed: 2, gpu: where === 'gpu' ? device() : null });
      expect(noise.forward).toBe('trajectories');
      try {
        await engine.load('train', train);
        await engine.setParams(params);
        engine.step(Int32Array.from([0, 1, 2]));
        engine.step(Int32Array.from([3, 4]));
        results.push([(await engine.epochStats()).loss, (await engine.evaluate('train')).loss]);
      } finally {
        engine.dispose();
      }
    }
    for (let i = 0; i < results[0].length; i++) expect(Math.abs(results[1][i] - results[0][i]), `loss ${i}`).toBeLessThan(1e-4);
  });
});
