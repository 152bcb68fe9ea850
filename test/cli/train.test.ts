import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipGpu } from '../helpers/gpu.js';
import { runQmoe, type CliRun } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-train-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Run = CliRun;

const qmoe = (...args: string[]) => runQmoe(args, 120_000);

const why = (r: Run) => `exit ${r.code}, stderr:\n${r.stderr}`;

function expectUserError(r: Run, ...mentions: RegExp[]): void {
  expect(r.code, why(r)).toBe(2);
  expect(r.stdout).toBe('');
  for (const m of mentions) expect(r.stderr).toMatch(m);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stderr).not.toMatch(/^\s+at .*[(:]\d+/m);
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('qmoe train and eval', () => {
  it('trains a small quantum model, writes every file, and eval reproduces the test accuracy', async () => {
    const out = join(dir, 'run');
    const r = await qmoe('train', '--dataset', 'moons', '--router', 'quantum', '--preset', 'code', '--epochs', '3', '--samples', '300', '--backend', 'cpu', '--out', out, '--json');
    expect(r.code, why(r)).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(readdirSync(out).sort()).toEqual(['boundary.png', 'boundary.svg', 'experts.png', 'experts.svg', 'history.png', 'history.svg', 'metrics.json', 'model.json']);
    for (const f of ['boundary.png', 'history.png']) expect(Array.from(readFileSync(join(out, f)).subarray(0, 8))).toEqual(PNG);
    for (const f of ['boundary.svg', 'history.svg']) expect(readFileSync(join(out, f), 'utf8')).toContain('<svg');
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.params).toEqual({ router: 24, experts: 12, total: 36 });
    expect(metrics.paramsCounted).toBe('total');
    expect(metrics.efficiency).toBeCloseTo(metrics.accuracy / Math.log(37), 12);
    expect(metrics.history).toHaveLength(metrics.epochs);
    expect(metrics.epochs).toBe(3);
    expect(printed.accuracy).toBe(metrics.accuracy);
    expect(r.stderr).toMatch(/epoch 3\/3/);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.format).toBe('qmoe-model');
    expect(model.dataset).toMatchObject({ name: 'moons', samples: 300, noise: 0.1, seed: 42 });

    const e = await qmoe('eval', '--model', join(out, 'model.json'), '--dataset', 'moons', '--backend', 'cpu', '--json');
    expect(e.code, why(e)).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.accuracy).toBe(metrics.accuracy);
    expect(ev.f1).toBe(metrics.f1);
    expect(ev.rows).toBe(metrics.testRows);

    const human = await qmoe('eval', '--model', join(out, 'model.json'), '--backend', 'cpu');
    expect(human.code, why(human)).toBe(0);
    expect(human.stdout).toMatch(/accuracy\s+\d+\.\d\d%/);

    // A corrupt or mismatched model file: exit 2, the field named.
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...model, params: model.params.slice(2) }));
    expectUserError(await qmoe('eval', '--model', bad, '--backend', 'cpu'), /model\.params\.length/);
    writeFileSync(bad, '{"format": "qmoe-model"');
    expectUserError(await qmoe('eval', '--model', bad, '--backend', 'cpu'), /not valid JSON/);
  });

  it('rejects bad command lines with exit 2 and writes nothing', async () => {
    const out = join(dir, 'never');
    const runs = await Promise.all([
      qmoe('train', '--router', 'quantum', '--out', out, '--experts', '5'),
      qmoe('train', '--router', 'quantum', '--out', out, '--epochs', '0'),
      qmoe('train', '--router', 'quantum', '--out', out, '--bogus'),
      qmoe('train', '--router', 'quantum', '--out', out, '--qubits', '1'),
      qmoe('train', '--router', 'tree', '--out', out),
      qmoe('train', '--router', 'mlp', '--out', out, '--hidden', '16,x'),
      qmoe('train', '--router', 'linear'),
      qmoe('eval', '--model', join(dir, 'missing.json')),
      qmoe('train', '--router', 'mlp', '--out', out, '--hidden', '65536,65536'),
      qmoe('train', '--router', 'linear', '--out', out, '--noise', '1e308'),
      qmoe('train', '--router', 'linear', '--out', out, '--lr', '0x10'),
      qmoe('train', '--router', 'linear', '--out', out, '--experts', '-1'),
    ]);
    expectUserError(runs[0], /--experts/, /at most 4/);
    expectUserError(runs[1], /--epochs/);
    expectUserError(runs[2], /unknown option '--bogus'/);
    expectUserError(runs[3], /--qubits/);
    expectUserError(runs[4], /--router/);
    expectUserError(runs[5], /--hidden/);
    expectUserError(runs[6], /--out DIR is required/);
    expectUserError(runs[7], /no such file/);
    expectUserError(runs[8], /--hidden: "65536,65536" is invalid; the model would have 4295491612 parameters; at most 2\^25/);
    expectUserError(runs[9], /--noise "1e308": must be a number from 0 to 1000000/);
    expectUserError(runs[10], /--lr "0x10": must be a number \(decimal/);
    expectUserError(runs[11], /--experts "-1": must be an integer from 1 to 65536/);
    expect(runs[11].stderr).not.toMatch(/ambiguous/);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(skipGpu)('qmoe train and eval on the WebGPU engine', () => {
  it('trains on the GPU (--backend webgpu), and eval on the GPU reproduces the test accuracy', async () => {
    const out = join(dir, 'gpu-run');
    const r = await qmoe('train', '--dataset', 'moons', '--router', 'quantum', '--epochs', '2', '--samples', '300', '--backend', 'webgpu', '--out', out, '--json');
    expect(r.code, why(r)).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.backend).toBe('webgpu');
    expect(metrics.epochs).toBe(2);
    const e = await qmoe('eval', '--model', join(out, 'model.json'), '--dataset', 'moons', '--backend', 'webgpu', '--json');
    expect(e.code, why(e)).toBe(0);
    expect(JSON.parse(e.stdout).accuracy).toBeCloseTo(metrics.accuracy, 12);
  });
});
