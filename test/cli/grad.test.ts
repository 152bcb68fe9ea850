import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipGpu } from '../helpers/gpu.js';
import { runQmoe, type CliRun } from '../helpers/cli.js';
import { centralDifference } from '../helpers/estimates.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-grad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Run = CliRun;

const qmoe = (...args: string[]) => runQmoe(args, 60_000);

const why = (run: Run) => `exit ${run.code}, signal ${run.signal}, stderr:\n${run.stderr}`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function expectUserError(run: Run, ...mentions: (string | RegExp)[]): void {
  expect(run.code, why(run)).toBe(2);
  expect(run.stdout).toBe('');
  for (const m of mentions) expect(run.stderr).toMatch(m);
  expect(run.stderr).not.toMatch(/internal error/);
}

// A Bell-like circuit with two rotations: ry(a) q[0]; cx; rx(b) q[1]. With w = [1, 0, 0, -1]:
// p00 = cos^2(a/2) cos^2(b/2), p11 = sin^2(a/2) cos^2(b/2), so L = cos(a) cos^2(b/2),
// dL/da = -sin(a) cos^2(b/2), dL/db = -cos(a) sin(b) / 2.
const A = 0.7;
const B = -1.3;
const QASM = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nry(${A}) q[0];\ncx q[0], q[1];\nrx(${B}) q[1];\nmeasure q -> c;\n`;
const LOSS = Math.cos(A) * Math.cos(B / 2) ** 2;
const GRAD = [-Math.sin(A) * Math.cos(B / 2) ** 2, (-Math.cos(A) * Math.sin(B)) / 2];
const qasm = file('bell-rot.qasm', QASM);
const weights = file('w.json', '[1, 0, 0, -1]');

function checkResult(run: Run, tol: number, backend: string): void {
  expect(run.code, why(run)).toBe(0);
  const out = JSON.parse(run.stdout) as { loss: number; gradient: number[]; backend: string };
  expect(out.backend).toBe(backend);
  expect(Math.abs(out.loss - LOSS)).toBeLessThan(tol);
  expect(out.gradient).toHaveLength(2);
  out.gradient.forEach((g, i) => expect(Math.abs(g - GRAD[i]), `gradient[${i}] ${g} vs ${GRAD[i]}`).toBeLessThan(tol));
}

describe.concurrent('qmoe grad --backend cpu', () => {
  it('gives the loss and one gradient entry per rotation, in file order', async () => {
    checkResult(await qmoe('grad', '--qasm', qasm, '--weights', weights, '--backend', 'cpu', '--json'), 1e-12, 'cpu');
  });

  it('prints a table without --json and an empty gradient for a circuit without rotations', async () => {
    const run = await qmoe('grad', '--qasm', qasm, '--weights', weights, '--backend', 'cpu');
    expect(run.code, why(run)).toBe(0);
    expect(run.stdout).toMatch(/^0\s+ry q\[0\]\s+0\.7\s+/m);
    expect(run.stdout).toMatch(/^1\s+rx q\[1\]\s+-1\.3\s+/m);
    const bell = await qmoe('grad', '--qasm', 'examples/bell.qasm', '--weights', weights, '--backend', 'cpu', '--json');
    expect(bell.code, why(bell)).toBe(0);
    expect(JSON.parse(bell.stdout)).toMatchObject({ loss: expect.closeTo(0, 12), gradient: [] });
  });
});

describe.concurrent('qmoe grad user errors', () => {
  it('names --weights and 2^n for a wrong length', async () => {
    expectUserError(await qmoe('grad', '--qasm', qasm, '--weights', file('w3.json', '[1, 2, 3]'), '--backend', 'cpu'), '--weights', /w3\.json/, /2\^2 = 4/, /: 3 is invalid/);
  });

  it('names a non-number entry, non-JSON and a non-array', async () => {
    expectUserError(await qmoe('grad', '--qasm', qasm, '--weights', file('ws.json', '[1, "x", 0, 0]'), '--backend', 'cpu'), '--weights', /entry 1/, /finite number/);
    expectUserError(await qmoe('grad', '--qasm', qasm, '--weights', file('bad.json', '[1, 2,'), '--backend', 'cpu'), '--weights', /must be JSON/);
    expectUserError(await qmoe('grad', '--qasm', qasm, '--weights', file('obj.json', '{"a": 1}'), '--backend', 'cpu'), '--weights', /JSON array of 2\^2 = 4 numbers/);
  });

  it('names unreadable and missing files and options', async () => {
    expectUserError(await qmoe('grad', '--qasm', qasm, '--weights', join(dir, 'nope.json'), '--backend', 'cpu'), '--weights', /nope\.json/, /no such file/);
    expectUserError(await qmoe('grad', '--qasm', join(dir, 'nope.qasm'), '--weights', weights, '--backend', 'cpu'), '--qasm', /no such file/);
    expectUserError(await qmoe('grad', '--qasm', qasm, '--backend', 'cpu'), /--weights FILE is required/, /usage: qmoe grad/);
    expectUserError(await qmoe('grad', '--qasm', qasm, '--weights', weights, '--backend', 'gpu'), '--backend', '"gpu"');
  });
});

describe.skipIf(skipGpu).concurrent('qmoe grad --backend webgpu', () => {
  it('matches the analytic gradient in f32', async () => {
    checkResult(await qmoe('grad', '--qasm', qasm, '--weights', weights, '--backend', 'webgpu', '--json'), 1e-5, 'webgpu');
  });
});

// Under noise: a circuit whose file angles are each one op's (so a finite difference in a file
// angle is one of the exact noisy loss), p = 0.1 after every gate and readout error.
const NOISY_ANGLES = [0.7, -1.3, 0.4, 0.9];
const noisyQasm = (a: number[]) =>
  `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nry(${a[0]}) q[0];\ncx q[0], q[1];\nrx(${a[1]}) q[1];\nry(${a[2]}) q[0];\ncz q[0], q[1];\nrz(${a[3]}) q[1];\nrx(0.3) q[1];\n`;
const NOISE = { p: 0.1, p2: 0.15, readout: 0.02 };
async function exactNoisyLoss(a: number[], w: number[]): Promise<number> {
  const { parseQasm } = await import('../../src/circuit/qasm.js');
  const { noisyProbabilities } = await import('../../src/noise/simulate.js');
  const { probabilities } = await noisyProbabilities(parseQasm(noisyQasm(a)), { rows: 1 }, NOISE, { method: 'density-matrix' });
  return w.reduce((s, wk, k) => s + wk * probabilities[k], 0);
}

describe.concurrent('qmoe grad --noise', () => {
  const w = [1, -0.5, 0.25, -1];
  const path = file('noisy.qasm', noisyQasm(NOISY_ANGLES));
  const wPath = file('w-noisy.json', JSON.stringify(w));
  const noiseArgs = ['--noise', String(NOISE.p), '--p2', String(NOISE.p2), '--readout', String(NOISE.readout)];

  it('gives the exact noisy loss and a gradient within 5 standard errors of finite differences of it', async () => {
    const run = await qmoe('grad', '--qasm', path, '--weights', wPath, ...noiseArgs, '--trajectories', '4096', '--seed', '7', '--backend', 'cpu', '--json');
    expect(run.code, why(run)).toBe(0);
    const out = JSON.parse(run.stdout) as { loss: number; gradient: number[]; standardError: number[]; method: string; trajectories: number; estimates: number; noise: unknown };
    expect(out).toMatchObject({ method: 'density-matrix', trajectories: 4096, estimates: 16, noise: { p: 0.1, p2: 0.15, readout: 0.02, placement: 'every-gate' } });
    expect(Math.abs(out.loss - (await exactNoisyLoss(NOISY_ANGLES, w)))).toBeLessThan(1e-12);
    let nonTrivial = 0;
    for (let i = 0; i < NOISY_ANGLES.length; i++) {
      const fd = await centralDifference((a) => exactNoisyLoss(a, w), NOISY_ANGLES, i);
      expect(out.standardError[i]).toBeGreaterThan(0);
      expect(Math.abs(out.gradient[i] - fd), `angle ${i}: ${out.gradient[i]} +- ${out.standardError[i]} vs ${fd}`).toBeLessThanOrEqual(5 * out.standardError[i] + 1e-6);
      if (Math.abs(fd) > 0.05) nonTrivial++;
    }
    expect(nonTrivial).toBeGreaterThan(1);
    // The noiseless gradient is another one: the noise is applied.
    const clean = JSON.parse((await qmoe('grad', '--qasm', path, '--weights', wPath, '--backend', 'cpu64', '--json')).stdout) as { loss: number };
    expect(Math.abs(clean.loss - out.loss)).toBeGreaterThan(0.01);
  });

  it('prints the noise, the method and a standard error column; one seed gives one answer', async () => {
    const run = await qmoe('grad', '--qasm', path, '--weights', wPath, ...noiseArgs, '--backend', 'cpu');
    expect(run.code, why(run)).toBe(0);
    expect(run.stdout).toMatch(/^noise +p 0\.1, p2 0\.15, readout 0\.02 \(after every gate\)$/m);
    expect(run.stdout).toMatch(/gradient the mean of 16 estimates of 64 trajectories each \(seed 0\)/);
    expect(run.stdout).toMatch(/^0\s+ry q\[0\]\s+0\.7\s+\S+\s+\+- \S+$/m);
    const a = await qmoe('grad', '--qasm', path, '--weights', wPath, ...noiseArgs, '--seed', '2', '--backend', 'cpu', '--json');
    const b = await qmoe('grad', '--qasm', path, '--weights', wPath, ...noiseArgs, '--seed', '2', '--backend', 'cpu', '--json');
    expect(JSON.parse(a.stdout).gradient).toEqual(JSON.parse(b.stdout).gradient);
  });

  it('names the noise options it refuses', async () => {
    expectUserError(await qmoe('grad', '--qasm', path, '--weights', wPath, '--trajectories', '64', '--backend', 'cpu'), /--trajectories needs --noise P/);
    expectUserError(await qmoe('grad', '--qasm', path, '--weights', wPath, '--noise', '0.1', '--trajectories', '8', '--backend', 'cpu'), /--trajectories/, /16/);
  });

  it.skipIf(skipGpu)('on WebGPU: the CPU\'s draws in f32', async () => {
    const args = ['grad', '--qasm', path, '--weights', wPath, ...noiseArgs, '--trajectories', '256', '--seed', '5', '--json'];
    const cpu = JSON.parse((await qmoe(...args, '--backend', 'cpu')).stdout) as { loss: number; gradient: number[] };
    const run = await qmoe(...args, '--backend', 'webgpu');
    expect(run.code, why(run)).toBe(0);
    const gpu = JSON.parse(run.stdout) as { loss: number; gradient: number[]; backend: string };
    expect(gpu.backend).toBe('webgpu');
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-5);
    gpu.gradient.forEach((g, i) => expect(Math.abs(g - cpu.gradient[i]), `angle ${i}`).toBeLessThan(1e-4));
  });
});
