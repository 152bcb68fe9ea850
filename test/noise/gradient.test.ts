import { describe, expect, it } from 'vitest';
import type { CircuitOutput } from '../../src/sim/backend.js';
import { foldOutputs } from '../../src/sim/experts.js';
import { outputCount } from '../../src/sim/experts.js';
import { densityProbabilitiesCpu } from '../../src/noise/density-cpu.js';
import { noisyGradientCpu } from '../../src/noise/gradient-cpu.js';
import { noiseSchedule, type NoiseModel } from '../../src/noise/model.js';
import { adjointGradient } from '../../src/sim/adjoint-cpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';
import { featureCircuit, randomBatch } from './helpers.js';
import { centralDifference, meanAndStandardError } from '../helpers/estimates.js';

/** The exact noisy loss sum_{r,o} up[r,o] out[r,o] from the density matrix. */
function exactLoss(model: NoiseModel, circuit: ReturnType<typeof randomCircuit>, input: ReturnType<typeof randomBatch>, output: CircuitOutput, up: number[]): number {
  const probs = densityProbabilitiesCpu(noiseSchedule(circuit, model), input);
  const k = outputCount(circuit.qubits, output);
  const out = new Float64Array(input.rows * k);
  for (let r = 0; r < input.rows; r++) foldOutputs(circuit.qubits, output, probs, r * 2 ** circuit.qubits, out, r * k);
  return out.reduce((a, v, i) => a + v * up[i], 0);
}

describe('noise-aware gradient (adjoint per trajectory, CPU)', () => {
  // Statistics: the estimate is the mean of T = 3000 i.i.d. per-trajectory gradients (each summed
  // over the rows); it must lie within 5 standard errors (sample std / sqrt(T)) of the central finite
  // difference (h = 1e-5, error ~1e-9) of the exact density-matrix loss.
  const cases: { n: number; output: CircuitOutput; model: NoiseModel }[] = [
    { n: 2, output: { kind: 'experts', experts: 2 }, model: { p: 0.1, p2: 0.2 } },
    { n: 3, output: { kind: 'expectZ' }, model: { p: 0.05, readout: 0.05 } },
    { n: 3, output: { kind: 'probabilities' }, model: { p: 0.2, placement: { kind: 'points', points: [{ after: 2, wires: [0, 1, 2] }, { after: 9, wires: [0, 2], pair: true }] } } },
  ];
  it.each(cases)('n=$n output=$output.kind matches finite differences of the exact loss within 5 sigma', async ({ n, output, model }) => {
    const rng = mulberry32(50 + n);
    const circuit = randomCircuit(rng, { qubits: n, gates: 10, features: n, params: 4 });
    const input = randomBatch(rng, circuit, 2);
    const up = Array.from({ length: 2 * outputCount(n, output) }, () => rng() * 2 - 1);
    const T = 3000;
    const per: Float64Array[] = [];
    const est = noisyGradientCpu(noiseSchedule(circuit, model), input, output, up, { trajectories: T, seed: 5 }, (_t, g) => per.push(g.slice()));
    for (let i = 0; i < circuit.params; i++) {
      const fd = await centralDifference((params) => exactLoss(model, circuit, { ...input, params }, output, up), input.params, i);
      const { mean, se } = meanAndStandardError(per, i);
      expect(Math.abs(est.params[i] - mean)).toBeLessThan(1e-12);
      expect(Math.abs(est.params[i] - fd), `param ${i}: ${est.params[i]} vs ${fd} (se ${se})`).toBeLessThanOrEqual(5 * se + 1e-6);
    }
  });

  // dL/dfeatures: K = 12 independent estimates (seeds) of T = 400 trajectories each; their mean
  // must lie within 5 standard errors (std over K / sqrt(K)) of the central finite difference of
  // the exact loss in each feature of each row.
  it.each([
    { n: 2, output: { kind: 'expectZ' } as CircuitOutput, model: { p: 0.1, p2: 0.2, readout: 0.05 } as NoiseModel },
    { n: 3, output: { kind: 'experts', experts: 3 } as CircuitOutput, model: { p: 0.15, placement: { kind: 'points', points: [{ after: 1, wires: [0, 1, 2] }, { after: 6, wires: [0, 2], pair: true }] } } as NoiseModel },
  ])('n=$n output=$output.kind: dL/dfeatures matches finite differences of the exact loss within 5 sigma', async ({ n, output, model }) => {
    const rng = mulberry32(60 + n);
    const circuit = featureCircuit(rng, n, false, 2);
    const input = randomBatch(rng, circuit, 2);
    const up = Array.from({ length: 2 * outputCount(n, output) }, () => rng() * 2 - 1);
    const K = 12;
    const runs = Array.from({ length: K }, (_, k) => noisyGradientCpu(noiseSchedule(circuit, model), input, output, up, { trajectories: 400, seed: 100 + k }, undefined, true).features!);
    let checked = 0;
    for (let i = 0; i < input.features.length; i++) {
      const fd = await centralDifference((features) => exactLoss(model, circuit, { ...input, features }, output, up), input.features, i);
      const { mean, se } = meanAndStandardError(runs, i);
      expect(Math.abs(mean - fd), `feature ${i}: ${mean} vs ${fd} (se ${se})`).toBeLessThanOrEqual(5 * se + 1e-6);
      if (Math.abs(fd) > 1e-3) checked++;
    }
    expect(checked, 'features with a non-trivial gradient').toBeGreaterThan(0);
  });

  it('equals the noiseless adjoint gradient at p = 0', () => {
    const rng = mulberry32(9);
    const circuit = randomCircuit(rng, { qubits: 3, gates: 12, features: 3, params: 5 });
    const input = randomBatch(rng, circuit, 3);
    const up = Array.from({ length: 3 * 3 }, () => rng() * 2 - 1);
    const got = noisyGradientCpu(noiseSchedule(circuit, { p: 0 }), input, { kind: 'expectZ' }, up, { trajectories: 2 });
    const want = adjointGradient(circuit, input, { kind: 'expectZ' }, up, false);
    for (let i = 0; i < 5; i++) expect(Math.abs(got.params[i] - want.params[i])).toBeLessThan(1e-12);
  });
});
