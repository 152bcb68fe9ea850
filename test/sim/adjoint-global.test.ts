import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Circuit } from '../../src/circuit/types.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { readFloats } from '../../src/gpu/buffers.js';
import { makeSpec, modelCircuit, routerOutput } from '../../src/moe/models.js';
import type { BatchInput, CircuitOutput } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { type GlobalGradientOptions, GlobalGradientRunner, chooseAdjointPath, stateBytes, sweepSegments } from '../../src/sim/adjoint-global.js';
import { adjointShape } from '../../src/sim/adjoint-gpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { globalGradient, gradientTestCircuit, mulberry32, randomBatch } from './adjoint-circuits.js';

/** f32 against the float64 adjoint: |gpu - cpu| <= 1e-4 x the largest |cpu| entry (at least 1e-3). */
const GRAD_TOL = 1e-4;

const cpu = new CpuBackend();

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string, floor = 1e-3): void {
  expect(got.length, what).toBe(want.length);
  let scale = floor;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  expect(worst, `${what}: worst at ${at}: ${got[at]} vs ${want[at]} (scale ${scale})`).toBeLessThanOrEqual(tol * scale);
}

describe.skipIf(skipGpu)('global-memory adjoint against the float64 CPU adjoint', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  // Stage 1 of the reduction per workgroup (a GPU's default) and per invocation (SwiftShader's).
  it.each([
    [1, 3, 'probabilities', 'workgroup'],
    [3, 5, 'experts', 'invocation'],
    [3, 5, 'experts', 'workgroup'],
    [5, 4, 'expectZ', 'invocation'],
    [9, 3, 'experts', 'workgroup'],
    [9, 3, 'experts', 'invocation'],
    [12, 2, 'expectZ', 'workgroup'],
  ] as const)('random circuits with every gate kind at n = %i (%i rows, %s, %s reduction)', async (n, rows, kind, reduction) => {
    const rng = mulberry32(100 + n);
    const circuit = gradientTestCircuit(rng, n);
    const input = randomBatch(rng, circuit, rows);
    const output: CircuitOutput = kind === 'experts' ? { kind, experts: 3 } : { kind };
    const outputs = kind === 'probabilities' ? 2 ** n : kind === 'experts' ? 3 : n;
    const up = Float32Array.from({ length: rows * outputs }, () => rng() * 2 - 1);
    const want = await cpu.gradient(circuit, input, output, up, { features: true });
    const got = await globalGradient(gpu, circuit, input, output, up, { reduction });
    expectClose(got.params, want.params, GRAD_TOL, 'params');
    expectClose(got.features, want.features!, GRAD_TOL, 'features');
  });

  // The router circuits of the issue: RY embedding of n features, 4 layers of RY + CZ ring (real),
  // expert blocks; at n = 13 also the code preset (RX embedding, Rot + CNOT, complex, <Z_i>).
  it.each([
    [12, 'paper'],
    [13, 'paper'],
    [13, 'code'],
    [14, 'paper'],
    [16, 'paper'],
  ] as const)('router circuit at n = %i (%s preset): params and features', async (n, preset) => {
    const rng = mulberry32(200 + n);
    const spec = makeSpec({ router: 'quantum', preset, features: n, qubits: n, layers: 4, experts: 4 });
    const circuit = modelCircuit(spec);
    const output = routerOutput(spec);
    expect(adjointShape(gpu, n, preset === 'paper')).toBeNull();
    const rows = n === 16 ? 1 : 3;
    const input = randomBatch(rng, circuit, rows);
    const outputs = output.kind === 'experts' ? output.experts : n;
    const up = Float32Array.from({ length: rows * outputs }, () => rng() * 2 - 1);
    const want = await cpu.gradient(circuit, input, output, up, { features: true });
    const got = await globalGradient(gpu, circuit, input, output, up);
    expectClose(got.params, want.params, GRAD_TOL, 'params');
    expectClose(got.features, want.features!, GRAD_TOL, 'features');
  });

  it('a random circuit with every gate kind at n = 13: params and features, and finite differences', async () => {
    const rng = mulberry32(313);
    const circuit = gradientTestCircuit(rng, 13);
    const input = randomBatch(rng, circuit, 2);
    const output: CircuitOutput = { kind: 'expectZ' };
    const up = Float32Array.from({ length: 2 * 13 }, () => rng() * 2 - 1);
    const want = await cpu.gradient(circuit, input, output, up, { features: true });
    const got = await globalGradient(gpu, circuit, input, output, up);
    expectClose(got.params, want.params, GRAD_TOL, 'params');
    expectClose(got.features, want.features!, GRAD_TOL, 'features');
    // Central differences of L = sum(up * out) in float64, for every param and row 0's features.
    const loss = async (params: number[], features: number[]) => {
      const out = await cpu.evaluate(circuit, { rows: 2, params, features }, output);
      let l = 0;
      for (let i = 0; i < out.length; i++) l += up[i] * out[i];
      return l;
    };
    const h = 1e-5;
    const fd: number[] = [];
    for (let k = 0; k < circuit.params; k++) {
      const plus = [...input.params];
      const minus = [...input.params];
      plus[k] += h;
      minus[k] -= h;
      fd.push((await loss(plus, input.features)) - (await loss(minus, input.features)));
    }
    expectClose(got.params, fd.map((d) => d / (2 * h)), GRAD_TOL, 'params against finite differences');
    const fdFeatures: number[] = [];
    for (let k = 0; k < circuit.features; k++) {
      const plus = [...input.features];
      const minus = [...input.features];
      plus[k] += h;
      minus[k] -= h;
      fdFeatures.push(((await loss(input.params, plus)) - (await loss(input.params, minus))) / (2 * h));
    }
    expectClose(got.features.subarray(0, circuit.features), fdFeatures, GRAD_TOL, 'row 0 features against finite differences');
  });

  it('n = 18: outputs and gradients that sum 2^16 to 2^18 terms per sample stay within 1e-5 of float64 (sums in blocks)', async () => {
    // One plain running f32 sum over a block of 2^16 probabilities, or a sample's 2^17 partial
    // gradient terms (SwiftShader's per-invocation stage 1), was off by 5e-5 to 2.5e-4 here.
    const n = 18;
    const ops: Circuit['ops'] = [];
    for (let q = 0; q < n; q++) ops.push({ gate: 'ry', wires: [q], angle: { kind: 'feature', index: q % 2 } });
    let params = 0;
    for (let l = 0; l < 2; l++) {
      for (let q = 0; q < n; q++) ops.push({ gate: 'ry', wires: [q], angle: { kind: 'param', index: params++ } });
      for (let q = 0; q + 1 < n; q++) ops.push({ gate: 'cz', wires: [q, q + 1] });
    }
    const circuit: Circuit = { qubits: n, features: 2, params, ops };
    const input: BatchInput = { rows: 2, features: Float64Array.from([0.3, 1.1, -0.7, 2.0]), params: Float64Array.from({ length: params }, (_, i) => 0.4 + 0.9 * Math.sin(2.3 * i)) };
    const gpuBackend = new WebGpuBackend(gpu);
    for (const output of [{ kind: 'experts', experts: 4 }, { kind: 'expectZ' }] as CircuitOutput[]) {
      const want = await cpu.evaluate(circuit, input, output);
      const got = await gpuBackend.evaluate(circuit, input, output);
      const upstream = Float64Array.from({ length: want.length }, (_, i) => Math.cos(i));
      const gWant = await cpu.gradient(circuit, input, output, upstream, { features: true });
      const gGot = await gpuBackend.gradient(circuit, input, output, upstream, { features: true });
      // Absolute 1e-5 (floor 1 on the scale): outputs and gradients here are at most about 1.4.
      expectClose(got, want, 1e-5, `${output.kind} outputs`, 1);
      expectClose(gGot.params, gWant.params, 1e-5, `${output.kind} parameter gradient`, 1);
      expectClose(gGot.features!, gWant.features!, 1e-5, `${output.kind} feature gradient`, 1);
    }
  }, 120_000);

  it('a small memory budget runs the batch in chunks with the same result', async () => {
    const rng = mulberry32(14);
    const spec = makeSpec({ router: 'quantum', preset: 'paper', features: 13, qubits: 13, layers: 2, experts: 4 });
    const circuit = modelCircuit(spec);
    const output = routerOutput(spec);
    const input = randomBatch(rng, circuit, 5);
    const up = Float32Array.from({ length: 5 * 4 }, () => rng() * 2 - 1);
    const whole = await globalGradient(gpu, circuit, input, output, up);
    expect(whole.chunkRows).toBe(5);
    // Room for the psi and lambda of two rows: chunks of 2, 2 and 1.
    const chunked = await globalGradient(gpu, circuit, input, output, up, { budgetBytes: 2 * (2 * stateBytes(13, true) + 2 ** 12 * 4) + 100 });
    expect(chunked.chunkRows).toBe(2);
    expect(Array.from(chunked.params)).toEqual(Array.from(whole.params));
    expect(Array.from(chunked.features)).toEqual(Array.from(whole.features));
    const want = await cpu.gradient(circuit, input, output, up, { features: true });
    expectClose(chunked.params, want.params, GRAD_TOL, 'params');
  });

  it('the WebGPU backend takes the global adjoint when the workgroup one does not fit, and names the limit when neither does', async () => {
    const rng = mulberry32(15);
    const circuit = gradientTestCircuit(rng, 12);
    const input = randomBatch(rng, circuit, 3);
    const output: CircuitOutput = { kind: 'experts', experts: 4 };
    const up = Array.from({ length: 3 * 4 }, () => rng() * 2 - 1);
    const backend = new WebGpuBackend(gpu);
    expect(backend.adjointPath(circuit)).toBe('global');
    expect(chooseAdjointPath(gpu, 4, false)).toBe('workgroup');
    const want = await cpu.gradient(circuit, input, output, up, { features: true });
    const got = await backend.gradient(circuit, input, output, up, { features: true });
    expectClose(got.params, want.params, GRAD_TOL, 'params');
    expectClose(got.features!, want.features!, GRAD_TOL, 'features');
    // Forcing the global path at a small size gives the same numbers as the workgroup kernel.
    const small = gradientTestCircuit(rng, 4);
    const smallInput = randomBatch(rng, small, 7);
    const smallUp = Array.from({ length: 7 * 4 }, () => rng() * 2 - 1);
    const viaGlobal = await new WebGpuBackend(gpu, { adjoint: 'global' }).gradient(small, smallInput, { kind: 'expectZ' }, smallUp, { features: true });
    const viaWorkgroup = await new WebGpuBackend(gpu, { adjoint: 'workgroup' }).gradient(small, smallInput, { kind: 'expectZ' }, smallUp, { features: true });
    expectClose(viaGlobal.params, viaWorkgroup.params, GRAD_TOL, 'global vs workgroup params');
    // One state over the binding limit: the error names the limit.
    const capped = { ...gpu, maxAllocationBytes: stateBytes(20, false) } as GpuContext;
    const big: Circuit = { qubits: 21, features: 0, params: 1, ops: [{ gate: 'rx', wires: [0], angle: { kind: 'param', index: 0 } }] };
    expect(() => chooseAdjointPath(capped, 21, false)).toThrow(/circuit\.qubits: 21 .*global-memory adjoint .*allocation cap.*at most 20 qubits/);
    await expect(new WebGpuBackend(capped).gradient(big, { rows: 1, params: [0.1] }, { kind: 'expectZ' }, new Array(21).fill(1))).rejects.toThrow(/at most 20 qubits/);
  });

  it('fuses runs of diagonal gates into one pass each way with the gradients of the unfused path', async () => {
    const rng = mulberry32(16);
    // The router's CZ chains (11 CZ per layer after 12 RY), and a random circuit with runs of fixed diagonal gates (z, s, t, cz, cp, rz) between the rest.
    const spec = makeSpec({ router: 'quantum', preset: 'paper', features: 12, qubits: 12, layers: 2, experts: 4 });
    const router = modelCircuit(spec);
    const hasGrad = router.ops.map((op) => op.angle?.kind === 'param' || op.angle?.kind === 'feature');
    const segments = sweepSegments(router, hasGrad);
    expect(segments.filter((s) => 'first' in s)).toEqual([
      { first: 24, count: 11 },
      { first: 47, count: 11 },
    ]);
    const random = gradientTestCircuit(rng, 12);
    random.ops.splice(Math.floor(random.ops.length / 2), 0, { gate: 'z', wires: [3] }, { gate: 'cz', wires: [1, 7] }, { gate: 's', wires: [11] }, { gate: 'cp', wires: [0, 5], angle: { kind: 'const', value: 0.7 } }, { gate: 'rz', wires: [2], angle: { kind: 'feature', index: 1 } }, { gate: 't', wires: [4] });
    for (const [circuit, output] of [
      [router, routerOutput(spec)],
      [random, { kind: 'expectZ' }],
    ] as [Circuit, CircuitOutput][]) {
      const input = randomBatch(rng, circuit, 3);
      const outputs = output.kind === 'experts' ? output.experts : circuit.qubits;
      const up = Float32Array.from({ length: 3 * outputs }, () => rng() * 2 - 1);
      const fused = await globalGradient(gpu, circuit, input, output, up, { fuse: 'diagonal' });
      const unfused = await globalGradient(gpu, circuit, input, output, up, { fuse: false });
      expectClose(fused.params, unfused.params, 1e-5, 'fused vs unfused params');
      expectClose(fused.features, unfused.features, 1e-5, 'fused vs unfused features');
      const want = await cpu.gradient(circuit, input, output, up, { features: true });
      expectClose(fused.params, want.params, GRAD_TOL, 'fused params');
      expectClose(fused.features, want.features!, GRAD_TOL, 'fused features');
    }
    // Without feature gradients the feature RZ joins its run: gradients of the params still hold.
    const input = randomBatch(rng, random, 2);
    const up = Float32Array.from({ length: 2 * 12 }, () => rng() * 2 - 1);
    const runner = await GlobalGradientRunner.create(gpu, random, 2, { kind: 'expectZ' }, { fuse: 'diagonal' });
    try {
      expect(runner.segments.some((s) => 'first' in s && s.count >= 6)).toBe(true);
      runner.setParams(input.params);
      runner.setFeatures(Float32Array.from(input.features), 2);
      runner.setUpstream(up);
      runner.dispatch();
      const got = await readFloats(gpu.device, runner.paramGrad, random.params * 4);
      expectClose(got, (await cpu.gradient(random, input, { kind: 'expectZ' }, up)).params, GRAD_TOL, 'params without feature gradients');
    } finally {
      runner.destroy();
    }
  });
});
