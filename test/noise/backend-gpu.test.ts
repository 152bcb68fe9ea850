import { describe, expect, it } from 'vitest';
import { initParams, makeSpec } from '../../src/moe/models.js';
import { NoisyBackend } from '../../src/noise/backend.js';
import { createNoisyCpuEngine } from '../../src/noise/training.js';
import type { TrainingData } from '../../src/train/engine.js';
import { gpuForTests, skipGpu } from '../helpers/gpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';
import { maxAbsDiff, randomBatch } from './helpers.js';

function data(rng: () => number, rows: number): TrainingData {
  return { x: Float64Array.from({ length: rows * 2 }, () => rng() * Math.PI), y: Int32Array.from({ length: rows }, () => Math.floor(rng() * 2)), rows, features: 2, classes: 2 };
}

describe.skipIf(skipGpu)('NoisyBackend on the GPU', () => {
  const device = gpuForTests();

  it("says it runs on the GPU and gives the CPU's outputs and (same draws) gradients", async () => {
    const rng = mulberry32(17);
    const circuit = randomCircuit(rng, { qubits: 3, gates: 14, features: 3, params: 4 });
    const input = randomBatch(rng, circuit, 5);
    const model = { p: 0.08, p2: 0.1, readout: 0.02 };
    const cpu = new NoisyBackend(model, { trajectories: 6, seed: 3 });
    const onGpu = new NoisyBackend(model, { trajectories: 6, seed: 3, gpu: device() });
    try {
      expect(cpu.kind).toBe('cpu');
      expect(onGpu.kind).toBe('webgpu');
      for (const output of [{ kind: 'probabilities' as const }, { kind: 'expectZ' as const }]) {
        expect(maxAbsDiff(await onGpu.evaluate(circuit, input, output), await cpu.evaluate(circuit, input, output))).toBeLessThan(1e-5);
      }
      const up = Array.from({ length: 5 * 3 }, () => rng() * 2 - 1);
      for (let k = 0; k < 2; k++) {
        const want = (await cpu.gradient(circuit, input, { kind: 'expectZ' }, up)).params;
        const got = (await onGpu.gradient(circuit, input, { kind: 'expectZ' }, up)).params;
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
      }
      // With dL/dfeatures (another runner, kept beside the first): the same draws as the CPU's.
      for (let k = 0; k < 2; k++) {
        const want = await cpu.gradient(circuit, input, { kind: 'expectZ' }, up, { features: true });
        const got = await onGpu.gradient(circuit, input, { kind: 'expectZ' }, up, { features: true });
        expect(maxAbsDiff(got.params, want.params)).toBeLessThan(1e-4);
        expect(maxAbsDiff(got.features!, want.features!)).toBeLessThan(1e-4);
        expect(Math.max(...want.features!.map(Math.abs))).toBeGreaterThan(1e-3);
      }
      const traj = new NoisyBackend(model, { evaluate: 'trajectories', trajectories: 40, seed: 5, gpu: device() });
      const trajCpu = new NoisyBackend(model, { evaluate: 'trajectories', trajectories: 40, seed: 5 });
      expect(maxAbsDiff(await traj.probabilities(circuit, input), await trajCpu.probabilities(circuit, input))).toBeLessThan(1e-5);
      traj.dispose();
    } finally {
      onGpu.dispose();
    }
  });

  it('trains noise-aware without creating a GPU buffer after its first step, with the losses of the CPU', async () => {
    const spec = makeSpec({ router: 'quantum', preset: 'paper', features: 2, classes: 2, layers: 2 });
    const rng = mulberry32(8);
    const train = data(rng, 21);
    const validation = data(rng, 13);
    const params = initParams(spec, { seed: 4 });
    const results: number[][] = [];
    let created = -1;
    for (const where of ['cpu', 'gpu'] as const) {
      const { engine, noise } = createNoisyCpuEngine(spec, { lr: 0.05, p: 0.05, trajectories: 4, seed: 2, gpu: where === 'gpu' ? device() : null });
      expect(noise.circuit).toBe(where === 'gpu' ? 'webgpu' : 'cpu');
      const dev = device().device;
      const createBuffer = dev.createBuffer;
      let count = 0;
      dev.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
        count++;
        return createBuffer.call(this, descriptor);
      };
      try {
        await engine.load('train', train);
        await engine.load('validation', validation);
        await engine.setParams(params);
        const losses: number[] = [];
        engine.step(Int32Array.from({ length: 8 }, (_, i) => i));
        losses.push((await engine.epochStats()).loss);
        const afterFirst = count;
        // More steps (the last batch smaller), epoch statistics and whole-split evaluations.
        for (const batch of [[8, 9, 10, 11, 12, 13, 14, 15], [16, 17, 18, 19, 20]]) engine.step(Int32Array.from(batch));
        losses.push((await engine.epochStats()).loss);
        losses.push((await engine.evaluate('validation')).loss, (await engine.evaluate('train')).loss);
        engine.step(Int32Array.from([3, 1, 4, 1, 5]));
        losses.push((await engine.epochStats()).loss, (await engine.evaluate('validation')).loss);
        if (where === 'gpu') {
          expect(afterFirst, 'the first step made the runners').toBeGreaterThan(0);
          created = count - afterFirst;
        }
        results.push(losses);
      } finally {
        dev.createBuffer = createBuffer;
        engine.dispose();
      }
    }
    expect(created).toBe(0);
    const [cpuLosses, gpuLosses] = results;
    for (let i = 0; i < cpuLosses.length; i++) expect(Math.abs(gpuLosses[i] - cpuLosses[i]), `loss ${i}`).toBeLessThan(1e-4);
  });
});
