import { describe, expect, it } from 'vitest';
import { NoisyBackend } from '../../src/noise/backend.js';
import { densityProbabilitiesCpu } from '../../src/noise/density-cpu.js';
import { noiseSchedule, type NoiseModel } from '../../src/noise/model.js';
import { routerNoise } from '../../src/noise/training.js';
import { makeSpec, modelCircuit, routerOutput } from '../../src/moe/models.js';
import type { CircuitOutput } from '../../src/sim/backend.js';
import { foldOutputs } from '../../src/sim/experts.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { outputCount } from '../../src/sim/experts.js';
import type { Circuit } from '../../src/circuit/types.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';
import { featureCircuit, maxAbsDiff, randomBatch } from './helpers.js';
import { noisyGradientCpu } from '../../src/noise/gradient-cpu.js';
import { centralDifference, meanAndStandardError } from '../helpers/estimates.js';

type Input = { rows: number; features: number[]; params: number[] };

/** The exact noisy loss sum_{r,o} up[r,o] out[r,o] (density matrix). */
function exactLoss(model: NoiseModel, circuit: Circuit, input: Input, output: CircuitOutput, up: number[]): number {
  const probs = densityProbabilitiesCpu(noiseSchedule(circuit, model), input);
  const k = outputCount(circuit.qubits, output);
  const out = new Float64Array(input.rows * k);
  for (let r = 0; r < input.rows; r++) foldOutputs(circuit.qubits, output, probs, r * 2 ** circuit.qubits, out, r * k);
  return out.reduce((a, v, i) => a + v * up[i], 0);
}

function finiteDifference(model: NoiseModel, circuit: Circuit, input: Input, output: CircuitOutput, up: number[], i: number): Promise<number> {
  return centralDifference((params) => exactLoss(model, circuit, { ...input, params }, output, up), input.params, i);
}

describe('NoisyBackend (CPU)', () => {
  // Statistics: R = 200 independent gradient() calls (each a fresh step counter, so fresh Pauli
  // draws) of T = 20 trajectories each; their mean is compared with the central finite difference
  // (h = 1e-5, error ~1e-9) of the exact density-matrix loss and must lie within 5 standard errors
  // (sample std of the R calls / sqrt(R)). Each call alone is unbiased, so the mean converges.
  const paper = makeSpec({ router: 'quantum', preset: 'paper', features: 2, classes: 2, layers: 3 });
  const code = makeSpec({ router: 'quantum', preset: 'code', features: 2, classes: 2, layers: 2 });
  const cases: { name: string; circuit: Circuit; output: CircuitOutput; model: NoiseModel }[] = [
    { name: 'paper router, every gate, experts', circuit: modelCircuit(paper), output: routerOutput(paper), model: { ...routerNoise(paper, 0.1), p2: 0.2 } },
    { name: 'code router, embedding + output, readout, <Z>', circuit: modelCircuit(code), output: routerOutput(code), model: { ...routerNoise(code, 0.15), readout: 0.05 } },
    { name: 'random 3-qubit circuit, every gate, probabilities', circuit: randomCircuit(mulberry32(5), { qubits: 3, gates: 14, features: 3, params: 4 }), output: { kind: 'probabilities' }, model: { p: 0.1, p2: 0.15 } },
  ];
  it.each(cases)('$name: mean of noise-aware gradients matches finite differences of the exact loss within 5 sigma', async ({ circuit, output, model }) => {
    const rng = mulberry32(70);
    const input = randomBatch(rng, circuit, 3);
    const up = Array.from({ length: 3 * outputCount(circuit.qubits, output) }, () => rng() * 2 - 1);
    const backend = new NoisyBackend(model, { trajectories: 20, seed: 11 });
    const R = 200;
    const calls: Float64Array[] = [];
    for (let k = 0; k < R; k++) calls.push(Float64Array.from((await backend.gradient(circuit, input, output, up)).params));
    expect(backend.gradientSteps).toBe(R);
    // Fresh draws per call: the estimates differ.
    expect(maxAbsDiff(calls[0], calls[1])).toBeGreaterThan(0);
    let nonzero = 0;
    for (let i = 0; i < circuit.params; i++) {
      const fd = await finiteDifference(model, circuit, input, output, up, i);
      const { mean, se } = meanAndStandardError(calls, i);
      expect(Math.abs(mean - fd), `param ${i}: ${mean} vs ${fd} (se ${se})`).toBeLessThanOrEqual(5 * se + 1e-6);
      if (Math.abs(fd) > 1e-3) nonzero++;
    }
    expect(nonzero).toBeGreaterThan(0);
  });

  it('evaluates exactly from the density matrix and is reproducible for a seed', async () => {
    const rng = mulberry32(3);
    const circuit = randomCircuit(rng, { qubits: 3, gates: 12, features: 3, params: 4 });
    const input = randomBatch(rng, circuit, 4);
    const model: NoiseModel = { p: 0.07, p2: 0.12, readout: 0.02 };
    const b = new NoisyBackend(model);
    const probs = await b.probabilities(circuit, input);
    expect(maxAbsDiff(probs, densityProbabilitiesCpu(noiseSchedule(circuit, model), input))).toBeLessThan(1e-15);
    const z = await b.evaluate(circuit, input, { kind: 'expectZ' });
    for (let r = 0; r < 4; r++) {
      for (let q = 0; q < 3; q++) {
        let want = 0;
        for (let k = 0; k < 8; k++) want += probs[r * 8 + k] * ((k >> (2 - q)) & 1 ? -1 : 1);
        expect(z[r * 3 + q]).toBeCloseTo(want, 14);
      }
    }
    const experts = await b.expertProbabilities(circuit, input, 2);
    expect(experts[0] + experts[1]).toBeCloseTo(1, 14);
    // Trajectory evaluation: deterministic for a seed, close to exact.
    const t1 = new NoisyBackend(model, { evaluate: 'trajectories', trajectories: 4000, seed: 5 });
    const a = await t1.probabilities(circuit, input);
    expect(Array.from(await t1.probabilities(circuit, input))).toEqual(Array.from(a));
    expect(maxAbsDiff(a, probs)).toBeLessThan(0.05);
    // Gradients are reproducible: same seed, same sequence of calls.
    const up = Array.from({ length: 12 }, () => rng() - 0.5);
    const g1 = new NoisyBackend(model, { trajectories: 3, seed: 9 });
    const g2 = new NoisyBackend(model, { trajectories: 3, seed: 9 });
    for (let k = 0; k < 3; k++) {
      const x = await g1.gradient(circuit, input, { kind: 'expectZ' }, up);
      const y = await g2.gradient(circuit, input, { kind: 'expectZ' }, up);
      expect(Array.from(x.params)).toEqual(Array.from(y.params));
    }
  });

  // At p = 0 the noisy backend equals the noiseless CpuBackend: the conformance suite
  // (test/sim/conformance.test.ts, backends "noisy p=0 cpu" and "noisy p=0 webgpu").

  it('places the presets\' channels: every gate (paper), after the embedding and the last layer (code)', () => {
    const paper = makeSpec({ router: 'quantum', preset: 'paper', features: 2, classes: 2 });
    const sp = noiseSchedule(modelCircuit(paper), routerNoise(paper, 0.01));
    expect(sp.channels).toBe(modelCircuit(paper).ops.length);
    const code = makeSpec({ router: 'quantum', preset: 'code', features: 2, classes: 2 });
    const cc = modelCircuit(code);
    const sc = noiseSchedule(cc, routerNoise(code, 0.1));
    expect(sc.channels).toBe(4);
    const kinds = sc.steps.map((s) => (s.kind === 'gate' ? `g${s.op}` : `c${s.kind === 'channel1' ? s.wire : '?'}`));
    // RX(x0), RX(x1), channels on qubits 0 and 1, ..., last op, channels on 0 and 1.
    expect(kinds.slice(0, 4)).toEqual(['g0', 'g1', 'c0', 'c1']);
    expect(kinds.slice(-3)).toEqual([`g${cc.ops.length - 1}`, 'c0', 'c1']);
    expect(() => routerNoise(makeSpec({ router: 'linear', features: 2, classes: 2 }), 0.1)).toThrow(/quantum router only/);
    expect(() => routerNoise(paper, 1.5)).toThrow(/from 0 to 1/);
  });

  it('gives dL/dfeatures with the parameter gradient: the same draws as noisyGradientCpu, and the same parameter gradient as without', async () => {
    const rng = mulberry32(2);
    const circuit = featureCircuit(rng, 3, false, 2);
    const input = randomBatch(rng, circuit, 4);
    const up = Array.from({ length: 4 * 3 }, () => rng() * 2 - 1);
    const model = { p: 0.1, p2: 0.2, readout: 0.03 };
    const withF = new NoisyBackend(model, { trajectories: 5, seed: 9 });
    const without = new NoisyBackend(model, { trajectories: 5, seed: 9 });
    const got = await withF.gradient(circuit, input, { kind: 'expectZ' }, up, { features: true });
    const plain = await without.gradient(circuit, input, { kind: 'expectZ' }, up);
    // gradient() call k draws with step counter k (here 1).
    const want = noisyGradientCpu(noiseSchedule(circuit, model), input, { kind: 'expectZ' }, up, { trajectories: 5, seed: 9, step: 1 }, undefined, true);
    expect(maxAbsDiff(got.features!, want.features!)).toBeLessThan(1e-14);
    expect(maxAbsDiff(got.params, want.params)).toBeLessThan(1e-14);
    expect(maxAbsDiff(plain.params, want.params)).toBeLessThan(1e-14);
    expect(plain.features).toBeUndefined();
    expect(Math.max(...want.features!.map(Math.abs)), 'a non-trivial feature gradient').toBeGreaterThan(1e-3);
  });

  it('rejects what it cannot do: states, bad options', async () => {
    const rng = mulberry32(1);
    const circuit = randomCircuit(rng, { qubits: 2, gates: 4, features: 2, params: 2 });
    const input = randomBatch(rng, circuit, 1);
    const b = new NoisyBackend({ p: 0.1 });
    await expect(b.states(circuit)).rejects.toThrow(/mixed state/);
    await expect(b.gradient(circuit, input, { kind: 'expectZ' }, [1])).rejects.toThrow(/dLdOut/);
    expect(() => new NoisyBackend({ p: 0.1 }, { trajectories: 0 })).toThrow(/trajectories/);
    await expect(new NoisyBackend({ p: 2 }).evaluate(circuit, input, { kind: 'expectZ' })).rejects.toThrow(/from 0 to 1/);
  });
});

describe('NoisyBackend with finite shots', () => {
  it('returns shot frequencies (multiples of 1/S), fresh on every call, converging to the exact outputs', async () => {
    const { routerCircuit: build } = await import('../../src/circuit/builders.js');
    const { NoisyBackend: Noisy } = await import('../../src/noise/backend.js');
    const circuit = build(2, 2);
    const input = { rows: 2, features: [0.3, 1.2, 2.0, 0.4], params: [0.1, -0.4, 0.7, 0.2] };
    const output = { kind: 'probabilities' as const };
    const exact = await new Noisy({ p: 0.02 }).evaluate(circuit, input, output);
    const noisy = new Noisy({ p: 0.02 }, { shots: 50 });
    const a = await noisy.evaluate(circuit, input, output);
    const b = await noisy.evaluate(circuit, input, output);
    for (const v of a) expect(Math.abs(v * 50 - Math.round(v * 50))).toBeLessThan(1e-9);
    expect(Array.from(a)).not.toEqual(Array.from(b));
    // 2^16 shots: within 5 standard errors of the exact probabilities.
    const many = await new Noisy({ p: 0.02 }, { shots: 65536 }).evaluate(circuit, input, output);
    exact.forEach((p, i) => expect(Math.abs(many[i] - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / 65536) + 1e-12));
  });
});
