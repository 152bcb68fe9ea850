import { describe, expect, it } from 'vitest';
import type { Circuit } from '../../src/circuit/types.js';
import { parseQasm } from '../../src/circuit/qasm/index.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { readFloats } from '../../src/gpu/buffers.js';
import { makeSpec, modelCircuit, routerOutput } from '../../src/moe/models.js';
import type { BatchInput, CircuitOutput } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { type GlobalGradientOptions, GlobalGradientRunner, stateBytes } from '../../src/sim/adjoint-global.js';
import { skipGpu, gpuForTests } from '../helpers/gpu.js';
import { gradientTestCircuit, mulberry32, randomBatch } from './adjoint-circuits.js';

/** f32 against the float64 adjoint: |gpu - cpu| <= 1e-4 x the largest |cpu| entry (at least 1e-3), as test/sim/adjoint-global.test.ts. */
const GRAD_TOL = 1e-4;
/** Amplitudes of f32 states against float64 ones. */
const STATE_TOL = 1e-5;

const cpu = new CpuBackend();

function worst(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]));
  return w;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  let scale = 1e-3;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  expect(worst(got, want), what).toBeLessThanOrEqual(GRAD_TOL * scale);
}

interface Grad {
  params: Float32Array;
  features: Float32Array;
  runner: { passes: number; tilePasses: number; chunkRows: number };
}

async function gradient(gpu: GpuContext, circuit: Circuit, input: BatchInput, output: CircuitOutput, up: Float32Array, options: GlobalGradientOptions): Promise<Grad> {
  const runner = await GlobalGradientRunner.create(gpu, circuit, input.rows, output, { features: true, ...options });
  try {
    runner.setParams(input.params);
    runner.setFeatures(Float32Array.from(input.features ?? []), input.rows);
    runner.setUpstream(up);
    runner.dispatch();
    const params = await readFloats(gpu.device, runner.paramGrad, circuit.params * 4);
    const features = await readFloats(gpu.device, runner.featureGrad!, input.rows * circuit.features * 4);
    const passes = runner.tileSweep?.backward ?? runner.segments;
    const tilePasses = runner.tileSweep?.backward.filter((p) => p.kind === 'tile').length ?? 0;
    return { params, features, runner: { passes: passes.length, tilePasses, chunkRows: runner.chunkRows } };
  } finally {
    runner.destroy();
  }
}

function upstream(rng: () => number, rows: number, n: number, output: CircuitOutput): Float32Array {
  const outputs = output.kind === 'probabilities' ? 2 ** n : output.kind === 'experts' ? output.experts : n;
  return Float32Array.from({ length: rows * outputs }, () => rng() * 2 - 1);
}

describe.skipIf(skipGpu)('tile fusion on the global path against the unfused path and the float64 CPU', () => {
  const gpu = gpuForTests();

  it.each([
    ['router paper n = 12', 12, 'workgroup', undefined],
    ['router code n = 12, 5-bit tiles', 12, 'invocation', 5],
    ['random, every gate kind, n = 12, 4-bit tiles', 12, 'workgroup', 4],
    ['random, every gate kind, n = 12, 6-bit tiles', 12, 'invocation', 6],
  ] as const)('%s: gradients (params and features) equal the unfused path and the CPU adjoint', async (name, n, reduction, bits) => {
    const rng = mulberry32(n * 7 + (bits ?? 0));
    let circuit: Circuit;
    let output: CircuitOutput;
    if (name.startsWith('router')) {
      const spec = makeSpec({ router: 'quantum', preset: name.includes('code') ? 'code' : 'paper', features: n, qubits: n, layers: 3, experts: 4 });
      circuit = modelCircuit(spec);
      output = routerOutput(spec);
    } else {
      circuit = gradientTestCircuit(rng, n);
      output = { kind: 'experts', experts: 3 };
    }
    const rows = 3;
    const input = randomBatch(rng, circuit, rows);
    const up = upstream(rng, rows, n, output);
    const want = await cpu.gradient(circuit, input, output, up, { features: true });
    const fused = await gradient(gpu(), circuit, input, output, up, { fuse: 'tiles', reduction, tileBits: bits });
    const plain = await gradient(gpu(), circuit, input, output, up, { fuse: 'none', reduction });
    expect(fused.runner.tilePasses).toBeGreaterThan(0);
    expect(fused.runner.passes).toBeLessThan(plain.runner.passes);
    expectClose(fused.params, want.params, 'fused params vs CPU');
    expectClose(fused.features, want.features!, 'fused features vs CPU');
    expectClose(fused.params, plain.params, 'fused params vs unfused');
    expectClose(fused.features, plain.features, 'fused features vs unfused');
  });
});
