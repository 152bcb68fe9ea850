import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerCircuit } from '../../src/circuit/builders.js';
import type { Circuit } from '../../src/circuit/types.js';
import { QmoeInputError } from '../../src/errors.js';
import type { GpuContext } from '../../src/gpu/context.js';
import type { Backend } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';

const router = routerCircuit(2, 1); // 2 features, 2 params

async function rejects(promise: Promise<unknown>, argument: RegExp, limit: RegExp) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QmoeInputError);
  expect((error as QmoeInputError).argument).toMatch(argument);
  expect((error as QmoeInputError).message).toMatch(limit);
}

function suite(make: () => Backend) {
  it('rejects NaN and infinite features, naming row and column', async () => {
    await rejects(make().probabilities(router, { rows: 2, features: [0, 1, NaN, 2], params: [0, 0] }), /row 1, column 0/, /finite/);
    await rejects(make().probabilities(router, { rows: 1, features: [Infinity, 1], params: [0, 0] }), /row 0, column 0/, /finite/);
  });

  it('rejects wrong row widths and parameter counts', async () => {
    await rejects(make().probabilities(router, { rows: 2, features: [0, 1, 2], params: [0, 0] }), /input\.features\.length/, /rows \(2\) x row width \(2\) = 4/);
    await rejects(make().probabilities(router, { rows: 1, features: [0, 1], params: [0] }), /input\.params\.length/, /circuit\.params = 2/);
    await rejects(make().probabilities(router, { rows: 1, features: [0, 1], params: [0, NaN] }), /input\.params\[1\]/, /finite/);
    await rejects(make().probabilities(router, { rows: 0, features: [], params: [0, 0] }), /input\.rows/, /integer from 1/);
  });

  it('rejects unknown gates, wires out of range and angles out of range', async () => {
    const bad = (ops: unknown[]): Circuit => ({ qubits: 2, features: 1, params: 1, ops: ops as Circuit['ops'] });
    await rejects(make().probabilities(bad([{ gate: 'foo', wires: [0] }]), { rows: 1, features: [0], params: [0] }), /ops\[0\]\.gate/, /known gates: .*crz/);
    await rejects(make().probabilities(bad([{ gate: 'x', wires: [2] }]), { rows: 1, features: [0], params: [0] }), /ops\[0\]\.wires\[0\]/, /from 0 to 1/);
    await rejects(make().probabilities(bad([{ gate: 'cz', wires: [1, 1] }]), { rows: 1, features: [0], params: [0] }), /ops\[0\]\.wires/, /must differ/);
    await rejects(make().probabilities(bad([{ gate: 'cz', wires: [1] }]), { rows: 1, features: [0], params: [0] }), /ops\[0\]\.wires/, /2 wire/);
    await rejects(make().probabilities(bad([{ gate: 'ry', wires: [0], angle: { kind: 'feature', index: 1 } }]), { rows: 1, features: [0], params: [0] }), /ops\[0\]\.angle\.index/, /from 0 to 0/);
    await rejects(make().probabilities(bad([{ gate: 'ry', wires: [0] }]), { rows: 1, features: [0], params: [0] }), /ops\[0\]\.angle/, /needs an angle/);
  });

  it('rejects more experts than basis states', async () => {
    await rejects(make().expertProbabilities(router, { rows: 1, features: [0, 1], params: [0, 0] }, 5), /experts/, /from 1 to 4/);
    await rejects(make().expertProbabilities(router, { rows: 1, features: [0, 1], params: [0, 0] }, 0), /experts/, /from 1 to 4/);
  });
}

describe('CPU backend input validation', () => {
  suite(() => new CpuBackend());
  it('rejects states over the CPU limit', async () => {
    await rejects(new CpuBackend().probabilities({ qubits: 27, features: 0, params: 0, ops: [] }, { rows: 1 }), /circuit\.qubits/, /from 1 to 26/);
  });
});

describe.skipIf(skipGpu)('WebGPU backend input validation', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());
  suite(() => new WebGpuBackend(gpu));

  it("rejects a state over the adapter's storage binding limit, naming the limit", async () => {
    const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
    const qubits = Math.floor(Math.log2(limit / 8)) + 1;
    const circuit: Circuit = { qubits, features: 0, params: 0, ops: [{ gate: 'rx', wires: [0], angle: { kind: 'const', value: 1 } }] };
    await rejects(new WebGpuBackend(gpu).probabilities(circuit, { rows: 1 }), /circuit\.qubits/, new RegExp(`storage binding limit of ${limit} bytes \\(at most ${qubits - 1} qubits\\)`));
  });

  it('rejects forcing the fused kernel on a state larger than workgroup memory', async () => {
    const qubits = Math.floor(Math.log2(gpu.limits.maxComputeWorkgroupStorageSize / 8)) + 1;
    const circuit: Circuit = { qubits, features: 0, params: 0, ops: [{ gate: 'rx', wires: [0], angle: { kind: 'const', value: 1 } }] };
    await rejects(new WebGpuBackend(gpu, { path: 'fused' }).probabilities(circuit, { rows: 1 }), /circuit\.qubits/, /workgroup memory/);
  });

  it('rejects results too large to return in one call', async () => {
    const circuit: Circuit = { qubits: 16, features: 0, params: 0, ops: [] };
    await rejects(new WebGpuBackend(gpu).probabilities(circuit, { rows: 2 ** 15 }), /input\.rows/, /split the batch/);
  });
});
