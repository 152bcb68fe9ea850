import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQmoe } from '../helpers/cli.js';
import { skipGpu } from '../helpers/gpu.js';

/** GPU failures and non-finite results on the command line: exit 1 or 2 with a message, never a number with exit 0. */
const dir = mkdtempSync(join(tmpdir(), 'qmoe-gpu-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const qasm = (body: string) => `OPENQASM 2.0;\ninclude "qelib1.inc";\n${body}\n`;
const qmoe = (args: string[], env: Record<string, string> = {}) => runQmoe(args, 120_000, env);

describe('non-finite results on the CPU', () => {
  it('qmoe grad exits 1 naming the overflow, not a gradient of nulls', async () => {
    const circuit = file('ry.qasm', qasm('qreg q[1];\nry(0.3) q[0];'));
    const weights = file('huge.json', '[1.7e308, -1.7e308]');
    const run = await qmoe(['grad', '--qasm', circuit, '--weights', weights, '--backend', 'cpu', '--json']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/qmoe: numeric error: .*(NaN|Infinity)/);
  });
});

describe.skipIf(skipGpu)('GPU errors on the command line', () => {
  it('simulate over the allocation cap exits 1 naming the buffer and the cap', async () => {
    const circuit = file('h10.qasm', qasm('qreg q[10];\nh q[0];\ns q[3];'));
    const run = await qmoe(['simulate', '--qasm', circuit, '--backend', 'webgpu', '--experts', '2', '--json'], { QMOE_GPU_MAX_ALLOCATION: '2048' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/qmoe: GPU error: out of GPU memory: the 4 KiB "outputs" buffer .* over the allocation cap .* of 2 KiB; even one row does not fit/);
  });

  // The case: on SwiftShader the 1 GiB state fails to allocate and this printed 0 and 0 with exit 0.
  it('a 27-qubit circuit prints the right expert probabilities or exits 1 with an out-of-memory message', async () => {
    const circuit = file('q27.qasm', qasm('qreg q[27];\nry(0.3) q[0];\nrz(0.4) q[0];\nx q[26];'));
    const run = await qmoe(['simulate', '--qasm', circuit, '--backend', 'webgpu', '--experts', '2', '--json']);
    if (run.code === 0) {
      const experts = JSON.parse(run.stdout).experts as number[];
      expect(experts[0]).toBeCloseTo(Math.cos(0.15) ** 2, 4);
      expect(experts[1]).toBeCloseTo(Math.sin(0.15) ** 2, 4);
    } else {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/qmoe: GPU error: out of GPU memory: the 1 GiB "states" buffer/);
    }
  });

  it('grad refuses weights beyond float32 on the GPU with exit 2, naming the file entry', async () => {
    const circuit = file('ry2.qasm', qasm('qreg q[1];\nry(0.3) q[0];'));
    const weights = file('f32.json', '[1e39, 0]');
    const run = await qmoe(['grad', '--qasm', circuit, '--weights', weights, '--backend', 'webgpu']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--weights .*f32\.json: entry 0: 1e\+39 is invalid; the GPU computes in float32/);
  });

  it("doctor's global-path capacity comes from allocations that succeed", async () => {
    const run = await qmoe(['doctor', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { adapter: string; limits: Record<string, number>; maxQubits: Record<string, number> };
    const binding = Math.min(out.limits.maxStorageBufferBindingSize, out.limits.maxBufferSize);
    expect(out.maxQubits.globalComplex).toBeLessThanOrEqual(Math.floor(Math.log2(binding / 8)));
    expect(out.maxQubits.globalReal).toBeLessThanOrEqual(Math.floor(Math.log2(binding / 4)));
    // SwiftShader's limits allow a 1 GiB buffer that it then refuses: one qubit fewer than the limits say.
    if (/SwiftShader/.test(out.adapter) && binding === 2 ** 30) expect([out.maxQubits.globalComplex, out.maxQubits.globalReal]).toEqual([26, 27]);
  });
});
