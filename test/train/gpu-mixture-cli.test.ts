import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQmoe, type CliRun } from '../helpers/cli.js';
import { skipGpu } from '../helpers/gpu.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-gpu-mixture-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (...args: string[]) => runQmoe(args, 120_000);
const why = (r: CliRun) => `exit ${r.code}, stderr:\n${r.stderr}`;

/** Trains with `args` on `backend` and returns metrics.json. */
async function train(name: string, backend: string, args: string[]) {
  const out = join(dir, name);
  const r = await qmoe('train', ...args, '--samples', '120', '--epochs', '3', '--seed', '2', '--backend', backend, '--out', out);
  expect(r.code, why(r)).toBe(0);
  return JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
}

describe.skipIf(skipGpu)('qmoe train --backend webgpu with top-k, route shots and balance', () => {
  it.each([
    ['top-2 and balance', 'top-k', ['--router', 'linear', '--top-k', '2', '--balance', '0.1']],
    ['route shots and balance', 'shots', ['--router', 'mlp', '--experts', '3', '--route-shots', '4', '--balance', '0.1']],
  ])('%s: metrics.json has the experts\' utilisation, as the float64 engine\'s', async (name, gate, args) => {
    const gpu = await train(`${gate}-webgpu`, 'webgpu', args as string[]);
    expect(gpu.engine).toBe('webgpu engine');
    const cpu = await train(`${gate}-cpu64`, 'cpu64', args as string[]);
    expect(gpu.experts.gate).toBe(gate);
    for (const key of ['samples', 'mass'] as const) {
      expect(gpu.experts[key]).toHaveLength(cpu.experts[key].length);
      expect(gpu.experts[key].reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 6);
    }
    // f32 against float64 over 3 epochs: the mean probabilities within 1e-3, a routed row may flip.
    for (let e = 0; e < cpu.experts.mass.length; e++) {
      expect(Math.abs(gpu.experts.mass[e] - cpu.experts.mass[e])).toBeLessThan(1e-3);
      expect(Math.abs(gpu.experts.samples[e] - cpu.experts.samples[e])).toBeLessThanOrEqual(2 / cpu.testRows + 1e-12);
    }
    expect(Math.abs(gpu.testLoss - cpu.testLoss)).toBeLessThan(1e-3);
  });

  it('--experts-kind quantum on --backend webgpu: circuits on the GPU, the float64 head; as the float64 engine', async () => {
    const args = ['--router', 'quantum', '--experts-kind', 'quantum', '--expert-layers', '1', '--top-k', '2'];
    const gpu = await train('quantum-webgpu', 'webgpu', args);
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.engine).toMatch(/WebGPU circuits \(router and quantum experts\), float64 head/);
    const cpu = await train('quantum-cpu64', 'cpu64', args);
    // f32 circuits against float64 over 3 epochs.
    expect(Math.abs(gpu.testLoss - cpu.testLoss)).toBeLessThan(1e-3);
    for (let e = 0; e < cpu.experts.mass.length; e++) expect(Math.abs(gpu.experts.mass[e] - cpu.experts.mass[e])).toBeLessThan(1e-3);
  });
});
