import { describe, expect, it } from 'vitest';
import type { Circuit } from '../../src/circuit/types.js';
import { parseQasm } from '../../src/circuit/qasm.js';
import { constantsToParams } from '../../src/sim/file-gradient.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { readFloats } from '../../src/gpu/buffers.js';
import { makeSpec, modelCircuit, routerOutput } from '../../src/moe/models.js';
import type { BatchInput, CircuitOutput } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { type GlobalGradientOptions, GlobalGradientRunner, stateBytes } from '../../src/sim/adjoint-global.js';
import { skipGpu, gpuForTests } from '../helpers/gpu.js';
import { globalGradient as gradient, gradientTestCircuit, mulberry32, randomBatch } from './adjoint-circuits.js';

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
      const spec = makeSpec({ router: 'quantum', preset: name.includes('code') ? 'code' : 'paper', features: n, qubits: n, layers: 2, experts: 4 });
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
    // The unfused reference per invocation (SwiftShader runs the per-op barrier kernels slowly).
    const plain = await gradient(gpu(), circuit, input, output, up, { fuse: 'none', reduction: 'invocation' });
    expect(fused.tilePasses).toBeGreaterThan(0);
    expect(fused.passes).toBeLessThan(plain.passes);
    expectClose(fused.params, want.params, 'fused params vs CPU');
    expectClose(fused.features, want.features!, 'fused features vs CPU');
    expectClose(fused.params, plain.params, 'fused params vs unfused');
    expectClose(fused.features, plain.features, 'fused features vs unfused');
  });

  it('forward states: tile passes equal one dispatch per op and the CPU (complex router n = 12 with 9-bit tiles, every gate kind n = 12 with 4-bit tiles, 5 rows)', async () => {
    const rng = mulberry32(41);
    const spec = makeSpec({ router: 'quantum', preset: 'code', features: 12, qubits: 12, layers: 2, experts: 4 });
    for (const [circuit, bits] of [[modelCircuit(spec), 9], [gradientTestCircuit(rng, 12), 4]] as const) {
      const input = randomBatch(rng, circuit, 5);
      const want = await cpu.states(circuit, input);
      const fused = await new WebGpuBackend(gpu(), { path: 'global', global: { globalFusion: 'tiles', tileBits: bits } }).states(circuit, input);
      const plain = await new WebGpuBackend(gpu(), { path: 'global', global: { globalFusion: 'none' } }).states(circuit, input);
      expect(worst(fused, want)).toBeLessThan(STATE_TOL);
      expect(worst(fused, plain)).toBeLessThan(STATE_TOL);
    }
  });

  it('forward probabilities in small chunks (tiles) equal the CPU', async () => {
    const rng = mulberry32(43);
    const circuit = gradientTestCircuit(rng, 12);
    const input = randomBatch(rng, circuit, 7);
    const want = await cpu.probabilities(circuit, input);
    const backend = new WebGpuBackend(gpu(), { path: 'global', maxChunkBytes: 2 * stateBytes(12, false), global: { globalFusion: 'tiles', tileBits: 6 } });
    const runner = await backend.prepare(circuit, 1);
    expect(runner.passes.some((p) => p.kind === 'tile')).toBe(true);
    runner.destroy();
    expect(worst(await backend.probabilities(circuit, input), want)).toBeLessThan(STATE_TOL);
  });

  it('a small memory budget runs the tile sweep in chunks with the same gradients (5 rows, chunks of 2, 6-bit tiles)', async () => {
    const rng = mulberry32(47);
    const spec = makeSpec({ router: 'quantum', preset: 'paper', features: 13, qubits: 13, layers: 2, experts: 4 });
    const circuit = modelCircuit(spec);
    const output = routerOutput(spec);
    const input = randomBatch(rng, circuit, 5);
    const up = upstream(rng, 5, 13, output);
    const want = await cpu.gradient(circuit, input, output, up, { features: true });
    const budgetBytes = 2 * (2 * stateBytes(13, true) + 2 ** 12 * 4) + 100;
    const chunked = await gradient(gpu(), circuit, input, output, up, { fuse: 'tiles', reduction: 'invocation', budgetBytes, tileBits: 6 });
    expect(chunked.chunkRows).toBe(2);
    expect(chunked.tilePasses).toBeGreaterThan(0);
    expectClose(chunked.params, want.params, 'chunked params vs CPU');
    expectClose(chunked.features, want.features!, 'chunked features vs CPU');
  });

  it('an OpenQASM circuit with multi-qubit gates (ccx, cswap, rzz, c3x, cu3, swap): states and angle gradients, fused vs unfused vs CPU', async () => {
    const rng = mulberry32(53);
    const n = 12;
    const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', `qreg q[${n}];`];
    const a = () => ((rng() * 2 - 1) * Math.PI).toFixed(4);
    for (let layer = 0; layer < 2; layer++) {
      for (let q = 0; q < n; q++) lines.push(`ry(${a()}) q[${q}];`);
      lines.push('ccx q[0],q[5],q[11];', 'cswap q[2],q[9],q[4];', `rzz(${a()}) q[1],q[10];`, 'c3x q[11],q[3],q[7],q[0];', `cu3(${a()},${a()},${a()}) q[8],q[6];`, 'swap q[3],q[10];');
      lines.push(`crx(${a()}) q[4],q[2];`, 'h q[11];', `rzz(${a()}) q[0],q[6];`, 'cx q[7],q[1];');
    }
    const { circuit, params } = constantsToParams(parseQasm(lines.join('\n') + '\n'));
    const input = { rows: 3, params, features: [] as number[] };
    const want = await cpu.states(circuit, input);
    const states = await new WebGpuBackend(gpu(), { path: 'global', global: { globalFusion: 'tiles', tileBits: 5 } }).states(circuit, input);
    expect(worst(states, want)).toBeLessThan(STATE_TOL);
    const output: CircuitOutput = { kind: 'expectZ' };
    const up = upstream(rng, 3, n, output);
    const wantGrad = await cpu.gradient(circuit, input, output, up, { features: true });
    const fused = await gradient(gpu(), circuit, input, output, up, { fuse: 'tiles', reduction: 'workgroup', tileBits: 5 });
    const plain = await gradient(gpu(), circuit, input, output, up, { fuse: 'none', reduction: 'invocation' });
    expect(fused.tilePasses).toBeGreaterThan(0);
    expectClose(fused.params, wantGrad.params, 'fused angle gradients vs CPU');
    expectClose(fused.params, plain.params, 'fused angle gradients vs unfused');
  });

  it('without feature gradients a feature rotation has no gradient column and the params still hold', async () => {
    const rng = mulberry32(59);
    const circuit = gradientTestCircuit(rng, 12);
    const input = randomBatch(rng, circuit, 3);
    const output: CircuitOutput = { kind: 'expectZ' };
    const up = upstream(rng, 3, 12, output);
    const runner = await GlobalGradientRunner.create(gpu(), circuit, 3, output, { fuse: 'tiles', reduction: 'workgroup', tileBits: 4 });
    try {
      runner.setParams(input.params);
      runner.setFeatures(Float32Array.from(input.features), 3);
      runner.setUpstream(up);
      runner.dispatch();
      const got = await readFloats(gpu().device, runner.paramGrad, circuit.params * 4);
      expectClose(got, (await cpu.gradient(circuit, input, output, up)).params, 'params without feature gradients');
    } finally {
      runner.destroy();
    }
  });

  it('refuses an unknown fusion and a tile size out of range, naming the option', async () => {
    const circuit = gradientTestCircuit(mulberry32(61), 4);
    await expect(GlobalGradientRunner.create(gpu(), circuit, 1, { kind: 'expectZ' }, { fuse: 'blocks' as never })).rejects.toThrow(/fuse: .*blocks.*'tiles', 'diagonal', 'none'/);
    await expect(GlobalGradientRunner.create(gpu(), circuit, 1, { kind: 'expectZ' }, { fuse: 'tiles', tileBits: 0 })).rejects.toThrow(/tileBits/);
  });
});
