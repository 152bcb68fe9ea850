import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQmoe, type CliRun } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-mixture-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (...args: string[]) => runQmoe(args, 120_000);
const why = (r: CliRun) => `exit ${r.code}, stderr:\n${r.stderr}`;

describe('qmoe train: quantum experts, sparse routing, load balancing', () => {
  it('trains quantum experts with top-k and balance, and reports the experts\' utilisation', async () => {
    const out = join(dir, 'qe');
    const r = await qmoe('train', '--router', 'quantum', '--experts-kind', 'quantum', '--expert-layers', '1', '--top-k', '2', '--balance', '0.1', '--samples', '100', '--epochs', '2', '--backend', 'cpu', '--out', out);
    expect(r.code, why(r)).toBe(0);
    expect(r.stdout).toMatch(/experts +4 quantum \(2 qubits, 1 layers\), top-2, balance 0\.1; routed/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.experts.gate).toBe('top-k');
    for (const key of ['samples', 'mass'] as const) {
      expect(m.experts[key]).toHaveLength(4);
      expect(m.experts[key].reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9);
    }
    expect(m.experts.imbalance).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(out, 'experts.svg'), 'utf8')).toContain('<svg');
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.spec).toMatchObject({ expertsKind: 'quantum', expertLayers: 1, topK: 2, balance: 0.1 });
    const e = await qmoe('eval', '--model', join(out, 'model.json'), '--backend', 'cpu64', '--json');
    expect(e.code, why(e)).toBe(0);
    expect(Math.abs(JSON.parse(e.stdout).accuracy - m.accuracy)).toBeLessThan(1e-9);
  });

  it('--gate-noise with quantum experts: noise-aware training of the router and the experts, recorded and summarised', async () => {
    const out = join(dir, 'noisy-experts');
    const r = await qmoe('train', '--router', 'quantum', '--experts-kind', 'quantum', '--expert-layers', '1', '--gate-noise', '0.02', '--trajectories', '4', '--samples', '80', '--epochs', '2', '--backend', 'cpu', '--out', out);
    expect(r.code, why(r)).toBe(0);
    expect(r.stdout).toMatch(/gate noise +p 0\.02 after every gate of the router and the experts; gradients over 4 trajectories per row/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.gateNoise).toMatchObject({ p: 0.02, placement: 'every-gate', trajectories: 4, circuits: ['router', 'experts'] });
    // The model file keeps the record, and eval scores under it: the test loss train printed.
    const e = await qmoe('eval', '--model', join(out, 'model.json'), '--backend', 'cpu64', '--json');
    expect(e.code, why(e)).toBe(0);
    const scored = JSON.parse(e.stdout);
    expect(scored.gateNoise).toMatchObject({ p: 0.02, asTrained: true, circuits: ['router', 'experts'] });
    expect(Math.abs(scored.loss - m.testLoss)).toBeLessThan(1e-9);
    // Without a quantum circuit, gate noise has nowhere to go.
    const mlp = await qmoe('train', '--router', 'mlp', '--gate-noise', '0.02', '--samples', '80', '--epochs', '1', '--out', join(dir, 'bad-mlp'));
    expect(mlp.code, why(mlp)).toBe(2);
    expect(mlp.stderr).toMatch(/--gate-noise.*quantum circuits only: the quantum router or --experts-kind quantum/);
  });

  it('eval of a --route-shots model names the seed of its routing draws, and one seed gives one answer', async () => {
    const out = join(dir, 'shots');
    const r = await qmoe('train', '--router', 'quantum', '--route-shots', '8', '--samples', '60', '--epochs', '1', '--backend', 'cpu', '--out', out);
    expect(r.code, why(r)).toBe(0);
    const model = join(out, 'model.json');
    const runs = await Promise.all([['3'], ['3'], []].map((seed) => qmoe('eval', '--model', model, '--backend', 'cpu64', '--json', ...(seed.length ? ['--route-seed', seed[0]] : []))));
    for (const e of runs) expect(e.code, why(e)).toBe(0);
    const [a, b, c] = runs.map((e) => JSON.parse(e.stdout));
    expect(a.routeSeed).toBe(3);
    expect(c.routeSeed).toBe(0);
    expect(b.loss).toBe(a.loss);
    // Other draws route differently: the seed reaches the engine.
    expect(c.loss).not.toBe(a.loss);
    const text = await qmoe('eval', '--model', model, '--backend', 'cpu64', '--route-seed', '3');
    expect(text.stdout).toMatch(/routing +8 measurement shots per row, drawn with --route-seed 3/);
    expect(text.stdout).toContain(`loss      ${a.loss.toFixed(4)}`);
  });

  it.each([
    [['--top-k', '5'], /--top-k: 5 is invalid; must be an integer from 1 to the number of experts \(4\)/],
    [['--balance', '2000'], /--balance.*1000/],
    [['--expert-layers', '2'], /--expert-layers.*--experts-kind quantum/],
  ])('%s exits 2 naming the option', async (args, message) => {
    const r = await qmoe('train', '--router', 'quantum', ...(args as string[]), '--epochs', '1', '--samples', '100', '--backend', 'cpu', '--out', join(dir, 'bad'));
    expect(r.code, why(r)).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at .*[(:]\d+/m);
  });
});
