import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyticQuantumKernel, computeQuantumKernel, embeddingCircuit, gramFromStates, kernelRank } from '../../src/experiments/quantum-kernel.js';
import { buildReport } from '../../src/experiments/report.js';
import { runSweep } from '../../src/experiments/sweep.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { DEFAULT_SPLIT } from '../../src/train/dataset.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { runQmoe } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-stretch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (...args: string[]) => runQmoe(args, 120_000);

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// 6 points of 3 features in [0, pi], labels 0,0,0,1,1,1.
const x = Float64Array.from([0.1, 2.0, 3.0, 0.4, 1.1, 0.2, 2.9, 0.3, 1.7, 1.5, 1.5, 1.5, 0, 0, 0, 3.1, 3.1, 3.1]);
const y = Int32Array.from([0, 0, 0, 1, 1, 1]);

describe('quantum kernel', () => {
  it('matches the closed form prod cos^2((x_i - x_j)/2) on the CPU backend, for both embeddings', async () => {
    for (const preset of ['paper', 'code'] as const) {
      const r = await computeQuantumKernel(new CpuBackend(), embeddingCircuit(preset, 3), x, y);
      expect(r.maxError).toBeLessThan(1e-12);
      for (let i = 0; i < 6; i++) expect(r.matrix[i * 6 + i]).toBeCloseTo(1, 12);
    }
    // cos^2(pi/2 / 2)^3 = (1/2)^3 between (0,0,0) and (pi/2, pi/2, pi/2).
    const k = analyticQuantumKernel([0, 0, 0, Math.PI / 2, Math.PI / 2, Math.PI / 2], 2, 3);
    expect(k[1]).toBeCloseTo(0.125, 14);
    // Two explicit states: |0> and (|0> + |1>)/sqrt2 -> overlap 1/2.
    expect(gramFromStates([1, 0, 0, 0, Math.SQRT1_2, 0, Math.SQRT1_2, 0], 2, 1)[1]).toBeCloseTo(0.5, 14);
  });

  it('has rank min(N, 3^features): K is an inner product of the 3^n features prod_i (1, cos x_i, sin x_i)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * Math.PI;
    for (const [features, rows, want] of [[1, 10, 3], [2, 30, 9], [3, 40, 27], [5, 20, 20]]) {
      const pts = Float64Array.from({ length: rows * features }, rand);
      const r = kernelRank(analyticQuantumKernel(pts, rows, features), rows, features);
      expect(r.bound, `${features} features, ${rows} points`).toBe(want);
      expect(r.numerical, `${features} features, ${rows} points`).toBe(want);
      expect(r.leading[0]).toBeGreaterThan(r.leading[r.leading.length - 1]);
    }
  });

  it.skipIf(skipGpu)('computes the same quantum kernel from WebGPU states', async () => {
    const gpu = await testGpu();
    try {
      const r = await computeQuantumKernel(new WebGpuBackend(gpu), embeddingCircuit('paper', 3), x, y);
      expect(r.maxError).toBeLessThan(1e-5);
    } finally {
      gpu.destroy();
    }
  });

  it('qmoe quantum-kernel writes the matrix as JSON and a heat map', async () => {
    const out = join(dir, 'quantum-kernel');
    const r = await qmoe('quantum-kernel', '--samples', '120', '--points', '16', '--backend', 'cpu', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(readFileSync(join(out, 'quantum-kernel.json'), 'utf8'));
    expect(j.points).toBe(16);
    expect(j.matrix).toHaveLength(256);
    expect(j.labels).toEqual([...Array(8).fill(0), ...Array(8).fill(1)]);
    expect(j.maxErrorVsClosedForm).toBeLessThan(1e-12);
    expect(j.rank).toMatchObject({ numerical: 9, bound: 9 });
    expect(Array.from(readFileSync(join(out, 'quantum-kernel.png')).subarray(0, 8))).toEqual(PNG);
  });
});

describe('parameter sweep and report', () => {
  it('sweeps quantum sizes and MLP widths, resumes, and the report inlines every figure', async () => {
    const out = join(dir, 'sweep');
    const opts = {
      dataset: { name: 'moons' as const, samples: 100, noise: 0.1, seed: 42, split: DEFAULT_SPLIT },
      preset: 'paper' as const,
      seeds: 1,
      budget: { lr: 0.05, epochs: 1, batch: 32, patience: 0, init: 'uniform' as const },
      backend: 'cpu' as const,
      out,
      qubits: [2, 3],
      layers: [1, 2],
      widths: [2, 8],
    };
    const trained: string[] = [];
    const r = await runSweep({ ...opts, onTrain: (id) => trained.push(id) });
    expect(trained).toHaveLength(7);
    expect(r.points.map((p) => [p.id, p.params.router])).toEqual([
      ['quantum-q2-l1', 2],
      ['quantum-q2-l2', 4],
      ['quantum-q3-l1', 3],
      ['quantum-q3-l2', 6],
      ['linear', 12],
      ['mlp-h2', 2 * 3 + 4 * 3],
      ['mlp-h8', 8 * 3 + 4 * 9],
    ]);
    const json = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(json.points).toHaveLength(7);
    expect(Array.from(readFileSync(join(out, 'sweep.png')).subarray(0, 8))).toEqual(PNG);
    trained.length = 0;
    await runSweep({ ...opts, onTrain: (id) => trained.push(id) });
    expect(trained).toEqual([]);

    const html = buildReport([out, join(dir, 'quantum-kernel')], 'test report');
    expect(html).toContain('<table>');
    expect(html).toContain('Parameter sweep');
    expect(html).toContain('Quantum kernel');
    expect(html.match(/src="data:image\/png;base64,/g)).toHaveLength(2);
    // Self-contained: no other src or href.
    expect(html.match(/(src|href)="(?!data:)/g)).toBeNull();
    expect(() => buildReport([join(dir, 'nothing-here')])).toThrow(/no ablation.md/);
  });
});
