import { describe, expect, it } from 'vitest';
import { CpuModel } from '../../src/moe/forward-cpu.js';
import { initParams, makeSpec, paramLayout } from '../../src/moe/models.js';
import { expertAngleCount, expertCircuit, expertParamCount } from '../../src/moe/quantum-experts.js';
import type { ModelSpec } from '../../src/moe/spec.js';
import { NoisyBackend } from '../../src/noise/backend.js';
import { noiseSchedule } from '../../src/noise/model.js';
import { createNoisyCpuEngine, expertNoise, routerNoise } from '../../src/noise/training.js';
import type { TrainingData } from '../../src/train/engine.js';
import { gpuForTests, skipGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';
import { centralDifference, meanAndStandardError } from '../helpers/estimates.js';

/** Quantum experts (2 qubits, 1 layer) behind a quantum router (paper, 1 layer) on 2 features. */
function spec(preset: 'paper' | 'code' = 'paper', router: 'quantum' | 'linear' = 'quantum'): ModelSpec {
  return makeSpec({ router, preset, features: 2, classes: 2, layers: 1, experts: preset === 'paper' ? 4 : 2, expertsKind: 'quantum', expertLayers: 1 });
}

function data(rng: () => number, rows: number): TrainingData {
  return { x: Float64Array.from({ length: rows * 2 }, () => rng() * Math.PI), y: Int32Array.from({ length: rows }, () => Math.floor(rng() * 2)), rows, features: 2, classes: 2 };
}

/** The model with the router's and the experts' circuits each under their own noise at rate p. */
function noisyModel(s: ModelSpec, p: number, trajectories: number, seed: number): CpuModel {
  const router = new NoisyBackend(routerNoise(s, p), { trajectories, seed });
  const experts = new NoisyBackend(expertNoise(s, p), { trajectories, seed: seed + 1000 });
  return new CpuModel(s, router, true, { expertBackend: experts });
}

describe('quantum experts under gate noise (CPU, float64)', () => {
  it("puts the experts' channels as the presets place the router's: after every gate (paper), after the embedding and the last layer (code)", () => {
    const paper = spec('paper');
    const c = expertCircuit(paper);
    expect(noiseSchedule(c, expertNoise(paper, 0.01)).channels).toBe(c.ops.length);
    const code = spec('code');
    const cc = expertCircuit(code);
    const sc = noiseSchedule(cc, expertNoise(code, 0.1));
    expect(sc.channels).toBe(2 * cc.qubits);
    const kinds = sc.steps.map((s) => (s.kind === 'gate' ? `g${s.op}` : `c${s.kind === 'channel1' ? s.wire : '?'}`));
    expect(kinds.slice(0, 4)).toEqual(['g0', 'g1', 'c0', 'c1']);
    expect(kinds.slice(-3)).toEqual([`g${cc.ops.length - 1}`, 'c0', 'c1']);
    expect(() => expertNoise(makeSpec({ router: 'quantum', features: 2, classes: 2 }), 0.1)).toThrow(/quantum experts only/);
  });

  it('at p = 0 gives the noiseless model\'s loss and gradient; at p > 0 a different loss', async () => {
    const s = spec();
    const rng = mulberry32(3);
    const d = data(rng, 5);
    const params = initParams(s, { seed: 1 });
    const exact = await new CpuModel(s).lossAndGradient(params, d.x, d.y, d.rows);
    const zero = await noisyModel(s, 0, 4, 0).lossAndGradient(params, d.x, d.y, d.rows);
    expect(zero.loss).toBeCloseTo(exact.loss, 12);
    for (let i = 0; i < exact.grad.length; i++) expect(Math.abs(zero.grad[i] - exact.grad[i]), `param ${i}`).toBeLessThan(1e-12);
    const noisy = await noisyModel(s, 0.05, 4, 0).loss(params, d.x, d.y, d.rows);
    expect(Math.abs(noisy.loss - exact.loss)).toBeGreaterThan(1e-4);
  });

  // K = 10 independent gradient estimates (seeds) of T = 200 trajectories each: their mean must lie
  // within 5 standard errors (std over K / sqrt(K)) of the central finite difference of the exact
  // noisy loss (density matrices) in every parameter, the experts' angles included.
  it.each(['paper', 'code'] as const)('%s: the noise-aware gradient of every parameter, the experts\' angles too, matches finite differences of the exact noisy loss within 5 sigma', async (preset) => {
    const s = spec(preset);
    const rng = mulberry32(preset === 'paper' ? 11 : 12);
    const d = data(rng, 3);
    const params = initParams(s, { seed: 2 });
    const p = 0.08;
    const K = 10;
    const runs: Float64Array[] = [];
    for (let k = 0; k < K; k++) runs.push((await noisyModel(s, p, 200, 50 + k).lossAndGradient(params, d.x, d.y, d.rows)).grad);
    const exactModel = noisyModel(s, p, 1, 0);
    const lossAt = async (v: Float64Array) => (await exactModel.loss(v, d.x, d.y, d.rows)).loss;
    const layout = paramLayout(s);
    const per = expertParamCount(s);
    const angles = new Set<number>();
    for (let e = 0; e < s.experts; e++) for (let j = 0; j < expertAngleCount(s); j++) angles.add(layout.router + e * per + j);
    let checkedAngles = 0;
    for (let i = 0; i < params.length; i++) {
      const fd = await centralDifference(lossAt, params, i);
      const { mean, se } = meanAndStandardError(runs, i);
      expect(Math.abs(mean - fd), `param ${i}${angles.has(i) ? ' (an expert angle)' : ''}: ${mean} vs ${fd} (se ${se})`).toBeLessThanOrEqual(5 * se + 1e-6);
      if (angles.has(i) && Math.abs(fd) > 1e-3) checkedAngles++;
    }
    expect(checkedAngles, 'expert angles with a non-trivial gradient').toBeGreaterThan(0);
  });

  it('a linear router with noisy quantum experts: the record names the experts alone', () => {
    const { engine, noise } = createNoisyCpuEngine(spec('code', 'linear'), { lr: 0.01, p: 0.01 });
    engine.dispose();
    expect(noise.circuits).toEqual(['experts']);
    expect(() => createNoisyCpuEngine(makeSpec({ router: 'mlp', features: 2, classes: 2 }), { lr: 0.01, p: 0.01 })).toThrow(/quantum circuits only/);
  });
});

describe.skipIf(skipGpu)('quantum experts under gate noise on the GPU', () => {
  const device = gpuForTests();

  it('trains with the losses of the CPU (the same draws), the router and the experts noisy', async () => {
    const s = spec('paper');
    const rng = mulberry32(21);
    const train = data(rng, 17);
    const validation = data(rng, 9);
    const params = initParams(s, { seed: 4 });
    const results: number[][] = [];
    for (const where of ['cpu', 'gpu'] as const) {
      const { engine, noise } = createNoisyCpuEngine(s, { lr: 0.05, p: 0.05, trajectories: 4, seed: 2, gpu: where === 'gpu' ? device() : null });
      expect(noise.circuits).toEqual(['router', 'experts']);
      try {
        await engine.load('train', train);
        await engine.load('validation', validation);
        await engine.setParams(params);
        const losses: number[] = [];
        for (const batch of [[0, 1, 2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 12, 13, 14, 15], [16]]) engine.step(Int32Array.from(batch));
        losses.push((await engine.epochStats()).loss, (await engine.evaluate('validation')).loss);
        engine.step(Int32Array.from([3, 1, 4, 1, 5]));
        losses.push((await engine.epochStats()).loss, (await engine.evaluate('validation')).loss);
        results.push(losses);
      } finally {
        engine.dispose();
      }
    }
    const [cpu, gpu] = results;
    for (let i = 0; i < cpu.length; i++) expect(Math.abs(gpu[i] - cpu[i]), `loss ${i}`).toBeLessThan(1e-4);
    // Training moved the parameters: the later losses differ from the first.
    expect(Math.abs(cpu[3] - cpu[1])).toBeGreaterThan(1e-6);
  });
});
