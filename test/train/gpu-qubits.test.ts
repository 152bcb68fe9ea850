import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQmoe } from '../helpers/cli.js';
import { skipGpu } from '../helpers/gpu.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-gpu-qubits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (...args: string[]) => runQmoe(args, 300_000);

describe('qmoe train --qubits beyond the workgroup adjoint (MNIST, PCA to the qubit count)', () => {
  it.skipIf(skipGpu)('a 14-qubit quantum router on WebGPU (the global-memory adjoint) lowers its training loss', async () => {
    const out = join(dir, 'q14');
    const r = await qmoe('train', '--dataset', 'mnist', '--router', 'quantum', '--qubits', '14', '--layers', '1', '--train-size', '16', '--val-size', '8', '--test-size', '8', '--epochs', '3', '--batch', '8', '--lr', '0.1', '--patience', '0', '--backend', 'webgpu', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const losses = metrics.history.map((h: { trainLoss: number }) => h.trainLoss);
    expect(losses).toHaveLength(3);
    expect(losses[2]).toBeLessThan(losses[0]);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    // PCA to one feature per qubit.
    expect(model.spec).toMatchObject({ features: 14, qubits: 14, layers: 1 });
    expect(model.dataset.image.components).toBe(14);
  }, 300_000);

  it('--pca K chooses the PCA features below the qubit count; the limits are named', async () => {
    const out = join(dir, 'pca');
    const r = await qmoe('train', '--dataset', 'mnist', '--router', 'quantum', '--qubits', '5', '--pca', '3', '--layers', '1', '--train-size', '20', '--val-size', '10', '--test-size', '10', '--epochs', '1', '--backend', 'cpu', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.spec).toMatchObject({ features: 3, qubits: 5 });
    const tooMany = await qmoe('train', '--dataset', 'mnist', '--router', 'quantum', '--qubits', '25', '--out', join(dir, 'x'));
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/--qubits.*25.*24/);
    const disagree = await qmoe('train', '--dataset', 'mnist', '--router', 'quantum', '--pca', '4', '--components', '5', '--out', join(dir, 'y'));
    expect(disagree.code).toBe(2);
    expect(disagree.stderr).toMatch(/--pca 4 and --components 5 disagree/);
    const moons = await qmoe('train', '--router', 'quantum', '--pca', '2', '--out', join(dir, 'z'));
    expect(moons.code).toBe(2);
    expect(moons.stderr).toMatch(/--pca applies to --dataset mnist or fashion only/);
  }, 120_000);
});
