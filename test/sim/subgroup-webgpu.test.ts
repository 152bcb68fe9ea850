import { describe, expect, it } from 'vitest';
import { routerCircuit } from '../../src/circuit/builders.js';
import { QmoeInputError } from '../../src/errors.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { maxSubgroupQubits, subgroupShape } from '../../src/sim/subgroup-gpu.js';
import { gpuForTests, skipGpu } from '../helpers/gpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';
import type { CircuitOutput } from '../../src/sim/backend.js';
import { GradientRunner } from '../../src/sim/adjoint-gpu.js';
import { gradientTestCircuit, randomBatch } from './adjoint-circuits.js';
import { maxAbsDiff, relDiff } from '../helpers/conformance.js';

/** f32 in registers against the float64 reference: absolute error of probabilities, expert sums and <Z>. */
const TOL = 1e-5;

/** Gradients: |gpu - cpu| <= GRAD_TOL x the largest |cpu| entry (at least 1), as test/sim/adjoint-webgpu.test.ts. */
const GRAD_TOL = 1e-4;

const cpu = new CpuBackend();

function expectGradClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  expect(relDiff(got, want), what).toBeLessThanOrEqual(GRAD_TOL);
}

/** Every lane count the adapter's smallest subgroup allows for n qubits (1, 2, 4, ...). */
function laneCounts(minSize: number, n: number): number[] {
  const out: number[] = [];
  for (let l = 1; l <= Math.min(minSize, 2 ** n); l *= 2) if (2 ** n / l <= 32) out.push(l);
  return out;
}

/**
 * (n, lanes, real) triples covering every n the adapter's subgroup kernels hold, every lane count
 * and both real settings, without the whole product (each triple is a pipeline to compile; CI is
 * SwiftShader on 2 cores): the n go round the lane counts, the largest n at every lane count it allows.
 */
function combos(minSize: number, maxN: number): { n: number; lanes: number; real: 'auto' | 'never' }[] {
  const out: { n: number; lanes: number; real: 'auto' | 'never' }[] = [];
  for (let n = 1; n <= maxN; n++) {
    const counts = laneCounts(minSize, n);
    const picks = n === maxN ? counts : [counts[n % counts.length]];
    for (const lanes of picks) out.push({ n, lanes, real: (n + lanes) % 2 === 0 ? 'auto' : 'never' });
  }
  return out;
}

describe.skipIf(skipGpu)('subgroup kernels (states in the registers of a subgroup) against float64', () => {
  const gpu = gpuForTests();

  it('has the subgroups feature on the test adapter, and auto picks the subgroup path where a state fits', () => {
    const g = gpu();
    // SwiftShader has subgroups of 4: CI must run this path.
    expect(g.subgroups).not.toBeNull();
    const max = maxSubgroupQubits(g);
    expect(max).toBeGreaterThanOrEqual(2);
    const backend = new WebGpuBackend(g);
    expect(backend.choosePath(routerCircuit(max, 1), { kind: 'probabilities' })).toBe('subgroup');
    expect(backend.choosePath(routerCircuit(max + 1, 1), { kind: 'probabilities' })).not.toBe('subgroup');
    expect(backend.choosePath(routerCircuit(2, 1), { kind: 'states' })).toBe('global');
    expect(new WebGpuBackend(g, { path: 'fused' }).choosePath(routerCircuit(2, 1), { kind: 'probabilities' })).toBe('fused');
  });

  it('matches float64 for random circuits of every gate, every n that fits and every lane count (odd batches)', async () => {
    const g = gpu();
    const rng = mulberry32(123);
    const counts = new Set<number>();
    const ns = new Set<number>();
    for (const { n, lanes, real } of combos(g.subgroups!.minSize, maxSubgroupQubits(g))) {
      counts.add(lanes);
      ns.add(n);
      const circuit = randomCircuit(rng, { qubits: n, gates: 6 * n + 6, features: n, params: 4 });
      const input = randomBatch(rng, circuit, 37);
      const experts = Math.min(4, 2 ** n);
      const backend = new WebGpuBackend(g, { path: 'subgroup', real, subgroup: { lanes } });
      const what = `n=${n} lanes=${lanes} real=${real}`;
      expect(maxAbsDiff(await backend.probabilities(circuit, input), await cpu.probabilities(circuit, input)), what).toBeLessThan(TOL);
      expect(maxAbsDiff(await backend.expertProbabilities(circuit, input, experts), await cpu.expertProbabilities(circuit, input, experts)), what).toBeLessThan(TOL);
    }
    // Every lane count the adapter supports ran (SwiftShader: 1, 2 and 4), and every n that fits.
    expect([...counts].sort()).toEqual(laneCounts(g.subgroups!.minSize, 5));
    expect(ns.size).toBe(maxSubgroupQubits(g));
  });

  it('matches float64 for the router circuit (real kernels, <Z>, experts) and for batches that span many workgroups', async () => {
    const g = gpu();
    const rng = mulberry32(7);
    const n = maxSubgroupQubits(g);
    const circuit = routerCircuit(n, 3);
    const input = randomBatch(rng, circuit, 301);
    const backend = new WebGpuBackend(g, { path: 'subgroup' });
    expect(maxAbsDiff(await backend.expertProbabilities(circuit, input, 4), await cpu.expertProbabilities(circuit, input, 4))).toBeLessThan(TOL);
    const z = { kind: 'expectZ' } as const;
    expect(maxAbsDiff(await backend.evaluate(circuit, input, z), await cpu.evaluate(circuit, input, z))).toBeLessThan(4 * TOL);
    // Small chunks: the batch in many dispatches, the last one partial.
    const chunked = new WebGpuBackend(g, { path: 'subgroup', maxChunkBytes: 2048 });
    expect(maxAbsDiff(await chunked.probabilities(circuit, input), await cpu.probabilities(circuit, input))).toBeLessThan(TOL);
  });

  it('gives float64 adjoint gradients (params and features) for every gate, output kind, n that fits and lane count', async () => {
    const g = gpu();
    const rng = mulberry32(321);
    for (const { n, lanes, real } of combos(g.subgroups!.minSize, maxSubgroupQubits(g))) {
      const circuit = gradientTestCircuit(rng, n);
      const rows = n % 2 === 0 ? 5 : 3;
      const input = randomBatch(rng, circuit, rows);
      const outputs: CircuitOutput[] = [{ kind: 'probabilities' }, { kind: 'experts', experts: Math.min(3, 2 ** n) }, { kind: 'expectZ' }];
      const output = outputs[n % 3];
      const count = output.kind === 'probabilities' ? 2 ** n : output.kind === 'experts' ? output.experts : n;
      const up = Array.from({ length: rows * count }, () => rng() * 2 - 1);
      const want = await cpu.gradient(circuit, input, output, up, { features: true });
      const what = `n=${n} ${output.kind} lanes=${lanes} real=${real}`;
      const got = await new WebGpuBackend(g, { path: 'subgroup', real, subgroup: { lanes } }).gradient(circuit, input, output, up, { features: true });
      expectGradClose(got.params, want.params, `${what} params`);
      expectGradClose(got.features!, want.features!, `${what} features`);
    }
  });

  it('runs the subgroup adjoint by default in the training runner, and the fused one when asked', async () => {
    const g = gpu();
    const circuit = routerCircuit(3, 2);
    const output = { kind: 'experts', experts: 4 } as const;
    const auto = await GradientRunner.create(g, circuit, 8, output);
    const fused = await GradientRunner.create(g, circuit, 8, output, { path: 'fused' });
    expect([auto.path, fused.path]).toEqual(['subgroup', 'fused']);
    auto.destroy();
    fused.destroy();
    await expect(GradientRunner.create({ ...g, subgroups: null }, circuit, 8, output, { path: 'subgroup' })).rejects.toThrow(/subgroups feature/);
  });

  it('names the limit when the subgroup path is forced where it cannot run', async () => {
    const g = gpu();
    const big = routerCircuit(maxSubgroupQubits(g) + 1, 1);
    await expect(new WebGpuBackend(g, { path: 'subgroup' }).probabilities(big, { rows: 1, features: new Array(big.features).fill(0), params: new Array(big.params).fill(0) })).rejects.toThrow(/circuit\.qubits.*subgroup/);
    expect(() => subgroupShape(g, 3, { lanes: 3 })).toThrow(QmoeInputError);
    expect(() => subgroupShape(g, 3, { lanes: 2 * g.subgroups!.minSize })).toThrow(/lanes.*power of two from 1 to/);
    expect(() => subgroupShape({ ...g, subgroups: null }, 3, { lanes: 1 })).toThrow(/no subgroups feature/);
    expect(subgroupShape({ ...g, subgroups: null }, 3)).toBeNull();
  });
});
