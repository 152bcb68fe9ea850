import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Circuit } from '../../src/circuit/types.js';
import { readFloats, storageBuffer } from '../../src/gpu/buffers.js';
import type { GpuContext } from '../../src/gpu/context.js';
import type { CircuitOutput } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { maxAdjointQubits } from '../../src/sim/adjoint-gpu.js';
import { ColumnReducer } from '../../src/gpu/reduce.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { QmoeInputError } from '../../src/errors.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { gradientTestCircuit, mulberry32, randomBatch } from './adjoint-circuits.js';

/**
 * Gradients, f32 against the float64 adjoint: |gpu - cpu| <= GRAD_TOL * scale, where scale is the
 * largest |cpu| entry of the vector (at least 1). Upstream weights are uniform in [-1, 1].
 */
const GRAD_TOL = 1e-4;

const cpu = new CpuBackend();

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (d > worst) [worst, at] = [d, i];
  }
  expect(worst, `${what}: worst at ${at}: ${got[at]} vs ${want[at]} (scale ${scale})`).toBeLessThanOrEqual(tol * scale);
}


describe.skipIf(skipGpu)('WebGPU outputs and adjoint gradients against the CPU reference', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  // Every output kind on both paths, real and complex, and the adjoint gradients of random
  // circuits of 1 to 6 qubits are in the conformance suite (test/sim/conformance.test.ts).

  it.each([
    [1, 1],
    [5, 3],
    [33, 1],
    [257, 7],
    [70001, 3],
    [1000, 40],
  ])('sums the columns of a %i x %i matrix (reduce_rows.wgsl)', async (rows, cols) => {
    const rng = mulberry32(rows * 31 + cols);
    const data = Float32Array.from({ length: rows * cols }, () => rng() * 2 - 1);
    const want = new Float64Array(cols);
    let abs = 0;
    for (let i = 0; i < data.length; i++) {
      want[i % cols] += data[i];
      abs += Math.abs(data[i]);
    }
    const input = storageBuffer(gpu.device, data.byteLength, 'matrix');
    const output = storageBuffer(gpu.device, cols * 4, 'sums');
    const reducer = await ColumnReducer.create(gpu, rows, cols);
    try {
      gpu.device.queue.writeBuffer(input, 0, data);
      const encoder = gpu.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      reducer.encode(pass, input, rows, output);
      pass.end();
      gpu.device.queue.submit([encoder.finish()]);
      const got = await readFloats(gpu.device, output, cols * 4);
      // f32 sums of `rows` terms: relative to the sum of magnitudes.
      for (let c = 0; c < cols; c++) expect(Math.abs(got[c] - want[c]), `column ${c}`).toBeLessThan(1e-6 * (abs / cols) + 1e-6);
    } finally {
      reducer.destroy();
      input.destroy();
      output.destroy();
    }
  });

  it('chunks large batches and sums the chunks', async () => {
    const rng = mulberry32(77);
    const circuit = gradientTestCircuit(rng, 3);
    const input = randomBatch(rng, circuit, 301);
    const output: CircuitOutput = { kind: 'experts', experts: 3 };
    const up = Array.from({ length: 301 * 3 }, () => rng() * 2 - 1);
    const want = await cpu.gradient(circuit, input, output, up, { features: true });
    const got = await new WebGpuBackend(gpu, { maxChunkBytes: 2048 }).gradient(circuit, input, output, up, { features: true });
    expectClose(got.params, want.params, GRAD_TOL, 'params');
    expectClose(got.features!, want.features!, GRAD_TOL, 'features');
  });

  it('GradientRunner reads dL/dout from a GPU buffer and leaves the batch sum in paramGrad', async () => {
    const rng = mulberry32(78);
    const circuit = gradientTestCircuit(rng, 4);
    const backend = new WebGpuBackend(gpu);
    const output: CircuitOutput = { kind: 'expectZ' };
    const runner = await backend.prepareGradient(circuit, 40, output);
    const upBuf = storageBuffer(gpu.device, 40 * 4 * 4, 'upstream');
    try {
      runner.setUpstream(upBuf);
      for (let step = 0; step < 2; step++) {
        const rows = step === 0 ? 40 : 17;
        const input = randomBatch(rng, circuit, rows);
        const up = Float32Array.from({ length: rows * 4 }, () => rng() * 2 - 1);
        gpu.device.queue.writeBuffer(upBuf, 0, up);
        runner.setFeatures(Float32Array.from(input.features), rows);
        runner.setParams(input.params);
        runner.dispatch();
        const got = await readFloats(gpu.device, runner.paramGrad, circuit.params * 4);
        const want = await cpu.gradient(circuit, input, output, up);
        expectClose(got, want.params, GRAD_TOL, `step ${step}`);
      }
    } finally {
      runner.destroy();
      upBuf.destroy();
    }
  });

  it('names the qubit limit of the fused adjoint kernel when it is forced, and bad upstream gradients', async () => {
    const backend = new WebGpuBackend(gpu, { adjoint: 'workgroup' });
    const max = maxAdjointQubits(gpu, false);
    expect(max).toBeGreaterThanOrEqual(6);
    const big: Circuit = { qubits: max + 1, features: 0, params: 1, ops: [{ gate: 'rx', wires: [0], angle: { kind: 'param', index: 0 } }] };
    const err = await backend.gradient(big, { rows: 1, params: [0.1] }, { kind: 'expectZ' }, new Array(max + 1).fill(1)).catch((e) => e);
    expect(err).toBeInstanceOf(QmoeInputError);
    expect(err.message).toMatch(new RegExp(`circuit.qubits: ${max + 1} .*two complex states in workgroup memory.*at most ${max} qubits`));
    const small: Circuit = { ...big, qubits: 2 };
    await expect(backend.gradient(small, { rows: 2, params: [0.1] }, { kind: 'expectZ' }, [1, 2, 3])).rejects.toThrow(/dLdOut.length: 3/);
  });
});
