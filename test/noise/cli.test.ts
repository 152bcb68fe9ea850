import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipGpu } from '../helpers/gpu.js';
import { runQmoe, type CliRun } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-noise-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Run = CliRun;

const qmoe = (...args: string[]) => runQmoe(args, 60_000);

function json(run: Run): Record<string, any> {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

function close(a: number[], b: number[], tol: number): void {
  expect(a).toHaveLength(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]), `index ${i}: ${v} vs ${b[i]}`).toBeLessThanOrEqual(tol));
}

// Bell circuit, channels after every gate: H then a one-qubit channel (populations unchanged), CNOT
// then a two-qubit channel of rate p2: P = (1 - 16 p2 / 15) [1/2, 0, 0, 1/2] + 4 p2 / 15.
const bellNoisy = (p2: number) => [0.5, 0, 0, 0.5].map((v) => (1 - (16 * p2) / 15) * v + (4 * p2) / 15);

function hadamards(n: number): string {
  const path = join(dir, `h${n}.qasm`);
  writeFileSync(path, `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[${n}];\nh q;\n`);
  return path;
}

describe.concurrent('qmoe simulate --noise', () => {
  it('gives the exact noisy Bell probabilities (density matrix) on the CPU', async () => {
    const out = json(await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'cpu', '--noise', '0.1', '--p2', '0.15', '--json'));
    expect(out.method).toBe('density-matrix');
    expect(out.noise).toEqual({ p: 0.1, p2: 0.15, readout: 0, placement: 'every-gate' });
    close(out.probabilities, bellNoisy(0.15), 1e-12);
  });

  it('uses trajectories when asked and reports T and the seed; same seed, same answer', async () => {
    const args = ['simulate', '--qasm', 'examples/bell.qasm', '--backend', 'cpu', '--noise', '0.1', '--trajectories', '2000', '--seed', '3', '--json'];
    const [a, b] = await Promise.all([qmoe(...args), qmoe(...args)]);
    const out = json(a);
    expect(out.method).toBe('trajectories');
    expect(out.trajectories).toBe(2000);
    expect(out.seed).toBe(3);
    expect(json(b).probabilities).toEqual(out.probabilities);
    // 5 sigma of a mean of 2000 draws in [0, 1] is at most 5 * 0.5 / sqrt(2000) = 0.056.
    close(out.probabilities, bellNoisy(0.1), 0.056);
  });

  it('falls back to 1000 trajectories beyond the exact path (11 qubits on the CPU)', async () => {
    const out = json(await qmoe('simulate', '--qasm', hadamards(11), '--backend', 'cpu', '--noise', '0.01', '--json'));
    expect(out.method).toBe('trajectories');
    expect(out.trajectories).toBe(1000);
    expect(out.probabilities).toHaveLength(2048);
  });

  it('samples shots (with and without noise) and prints counts', async () => {
    const out = json(await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'cpu', '--noise', '0.05', '--readout', '0.02', '--shots', '1000', '--seed', '1', '--json'));
    expect(out.shots).toBe(1000);
    expect(out.counts.reduce((a: number, b: number) => a + b, 0)).toBe(1000);
    expect(out.frequencies[0]).toBeCloseTo(out.counts[0] / 1000, 12);
    const pure = json(await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'cpu', '--shots', '500', '--json'));
    expect(pure.method).toBe('state-vector');
    expect(pure.counts[1] + pure.counts[2]).toBe(0);
    const text = await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'cpu', '--noise', '0.05', '--shots', '100');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/method\s+density-matrix/);
    expect(text.stdout).toMatch(/count \(of 100\)/);
  });

  it.each([
    [['--noise', '1.5'], /--noise "1.5": an error rate must be a number from 0 to 1/],
    [['--noise=-0.1'], /--noise "-0.1"/],
    [['--noise', 'abc'], /--noise "abc"/],
    [['--noise', '0.1', '--trajectories', '0'], /--trajectories "0": must be an integer from 1 to/],
    [['--noise', '0.1', '--trajectories', '99999999'], /--trajectories "99999999"/],
    [['--shots', '0'], /--shots "0": must be an integer from 1 to/],
    [['--noise', '0.1', '--shots', '2.5'], /--shots "2.5"/],
    [['--trajectories', '10'], /--trajectories needs --noise P/],
  ])('rejects %j with exit code 2', async (extra, msg) => {
    const run = await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'cpu', ...(extra as string[]));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(msg as RegExp);
    expect(run.stderr).not.toMatch(/internal error/);
  });
});

describe.skipIf(skipGpu)('qmoe simulate --noise on WebGPU', () => {
  it('matches the exact CPU answer and says which method ran', async () => {
    const out = json(await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'webgpu', '--noise', '0.1', '--p2', '0.15', '--json'));
    expect(out.backend).toBe('webgpu');
    expect(out.method).toBe('density-matrix');
    close(out.probabilities, bellNoisy(0.15), 1e-6);
    const cpu = json(await qmoe('simulate', '--qasm', 'examples/ghz3.qasm', '--backend', 'cpu', '--noise', '0.2', '--trajectories', '64', '--seed', '9', '--json'));
    const gpu = json(await qmoe('simulate', '--qasm', 'examples/ghz3.qasm', '--backend', 'webgpu', '--noise', '0.2', '--trajectories', '64', '--seed', '9', '--json'));
    expect(gpu.method).toBe('trajectories');
    close(gpu.probabilities, cpu.probabilities, 1e-5);
  });
});
