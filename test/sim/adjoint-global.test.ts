import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Circuit } from '../../src/circuit/types.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { readFloats } from '../../src/gpu/buffers.js';
import { makeSpec, modelCircuit, routerOutput } from '../../src/moe/models.js';
import type { BatchInput, CircuitOutput } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { GlobalGradientRunner, chooseAdjointPath, stateBytes } from '../../src/sim/adjoint-global.js';
import { adjointShape } from '../../src/sim/adjoint-gpu.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { gradientTestCircuit, mulberry32, randomBatch } from './adjoint-circuits.js';

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

/** The global runner's batch-summed dL/dparams and per-row dL/dfeatures for one batch. */
async function globalGradient(gpu: GpuContext, circuit: Circuit, input: BatchInput, output: CircuitOutput, up: Float32Array, budgetBytes?: number): Promise<{ params: Float32Array; features: Float32Array; chunkRows: number }> {
  const runner = await GlobalGradientRunner.create(gpu, circuit, input.rows, output, { features: true, budgetBytes });
  try {
    runner.setParams(input.params);
    runner.setFeatures(Float32Array.from(input.features ?? []), input.rows);
    runner.setUpstream(up);
    runner.dispatch();
    const params = await readFloats(gpu.device, runner.paramGrad, circuit.params * 4);
    const features = await readFloats(gpu.device, runner.featureGrad!, input.rows * circuit.features * 4);
    return { params, features, chunkRows: runner.chunkRows };
  } finally {
    runner.destroy();
  }
}

describe.skipIf(skipGpu)('global-memory adjoint against the float64 CPU adjoint', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  it.each([
    [1, 3, 'probabilities'],
    [3, 5, 'experts'],
    [5, 4, 'expectZ'],
    [9, 3, 'experts'],
  ] as const)('random circuits with every gate kind at n = %i (%i rows, %s)', async (n, rows, kind) => {
    const rng = mulberry32(100 + n);
    const circuit = gradientTestCircuit(rng, n);
    const input = randomBatch(rng, circuit, rows);
    const output: CircuitOutput = kind === 'experts' ? { kind, experts: 3 } : { kind };
    const outputs = kind === 'probabilities' ? 2 ** n : kind === 'experts' ? 3 : n;
    const up = Float32Array.from({ length: rows * outputs }, () => rng() * 2 - 1);
    const want = await cpu.gradient(circuit, input, output, up, { features: true });
    const got = await globalGradient(gpu, circuit, input, output, up);
    expectClose(got.params, want.params, GRAD_TOL, 'params');
    expectClose(got.features, want.features!, GRAD_TOL, 'features');
  });
});
