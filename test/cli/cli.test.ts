import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipGpu } from '../helpers/gpu.js';
import { root, runQmoe, type CliRun } from '../helpers/cli.js';


type Run = CliRun;

/** Runs `node bin/qmoe.mjs ...args` from the repository root with the current environment. */
const qmoe = (...args: string[]) => runQmoe(args, 20_000);

/** What to show when a run did not end as expected. */
const why = (run: Run) => `exit ${run.code}, signal ${run.signal}, stderr:\n${run.stderr}`;

function json(run: Run): Record<string, unknown> {
  expect(run.code, why(run)).toBe(0);
  expect(run.stderr.includes('qmoe:'), why(run)).toBe(false);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

function expectClose(actual: unknown, expected: number[], tol: number): void {
  expect(Array.isArray(actual)).toBe(true);
  const a = actual as number[];
  expect(a).toHaveLength(expected.length);
  a.forEach((v, i) => expect(Math.abs(v - expected[i]), `index ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(tol));
}

/** A user error: exit code 2, the problem named on stderr, no stack trace. */
function expectUserError(run: Run, ...mentions: (string | RegExp)[]): void {
  expect(run.code, why(run)).toBe(2);
  expect(run.stdout).toBe('');
  for (const m of mentions) expect(run.stderr).toMatch(m);
  expect(run.stderr).not.toMatch(/^\s+at .*[(:]\d+/m);
  expect(run.stderr).not.toMatch(/internal error/);
}

const BELL = [0.5, 0, 0, 0.5];
const GHZ3 = [0.5, 0, 0, 0, 0, 0, 0, 0.5];

describe.concurrent('qmoe simulate --backend cpu', () => {
  it('gives the Bell state probabilities', async () => {
    const out = json(await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'cpu', '--json'));
    expect(out.qubits).toBe(2);
    expect(out.backend).toBe('cpu');
    expectClose(out.probabilities, BELL, 1e-12);
  });

  it('gives GHZ3 and its expert probabilities', async () => {
    const out = json(await qmoe('simulate', '--qasm', 'examples/ghz3.qasm', '--backend', 'cpu', '--experts', '2', '--json'));
    expect(out.qubits).toBe(3);
    expectClose(out.probabilities, GHZ3, 1e-12);
    expectClose(out.experts, [0.5, 0.5], 1e-12);
  });

  it('prints a human table with qubit 0 leftmost', async () => {
    const x = join(tmp(), 'x0.qasm');
    writeFileSync(x, 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\nx q[0];\n');
    const run = await qmoe('simulate', '--qasm', x, '--backend', 'cpu');
    expect(run.code, why(run)).toBe(0);
    expect(run.stdout).toMatch(/^100\s+1$/m);
    expect(run.stdout).not.toMatch(/^000\s/m);
  });
});

describe.concurrent('qmoe user errors', () => {
  it('rejects an unknown option', async () => {
    expectUserError(await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--bogus'), "'--bogus'", /usage: qmoe simulate/);
  });

  it('rejects an unknown subcommand', async () => {
    expectUserError(await qmoe('simulat'), "'simulat'", /qmoe help/);
  });

  it('names --qasm and the path of a missing file', async () => {
    expectUserError(await qmoe('simulate', '--qasm', 'examples/no-such.qasm', '--backend', 'cpu'), '--qasm', 'examples/no-such.qasm', /no such file/);
  });

  it('names an unknown gate and its line', async () => {
    const file = join(tmp(), 'unknown-gate.qasm');
    writeFileSync(file, 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\nfoo q[1];\n');
    expectUserError(await qmoe('simulate', '--qasm', file, '--backend', 'cpu'), '"foo"', /line 5/, /unknown gate/, 'unknown-gate.qasm');
  });

  it('rejects a bad --backend and too many experts', async () => {
    expectUserError(await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'gpu'), '--backend', '"gpu"');
    expectUserError(await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'cpu', '--experts', '5'), '--experts', /1 to 4/);
  });
});

describe.concurrent('qmoe doctor', () => {
  it('prints one JSON object naming the chosen backend and the steps', async () => {
    const out = json(await qmoe('doctor', '--json'));
    expect(typeof out.chosen).toBe('string');
    expect(Array.isArray(out.steps)).toBe(true);
    const steps = out.steps as { step: string; ok: boolean; detail: string }[];
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.at(-1)!.step).toBe(out.chosen);
    expect(steps.at(-1)!.ok).toBe(true);
    expect(out.node).toBe(process.version);
    expect(typeof out.platform).toBe('string');
    if (!skipGpu) {
      // A GPU step is chosen (SwiftShader here and in CI; the NVIDIA driver on the lent machine).
      expect(out.chosen).not.toBe('cpu');
      expect(out.adapter).toMatch(out.chosen === 'swiftshader' ? /SwiftShader/ : /\S/);
      const limits = out.limits as Record<string, number>;
      expect(limits.maxComputeWorkgroupStorageSize).toBeGreaterThan(0);
      const maxQubits = out.maxQubits as Record<string, number>;
      expect(maxQubits.fusedComplex).toBe(Math.floor(Math.log2(limits.maxComputeWorkgroupStorageSize / 8)));
      // SwiftShader's subgroups of 4 lanes x 32 registers: 7 qubits.
      if (out.chosen === 'swiftshader') expect(maxQubits.subgroup).toBe(7);
      // Trainable: the workgroup adjoint holds two states; the global one up to the router's 24 qubits.
      expect(maxQubits.adjointWorkgroupComplex).toBeLessThan(maxQubits.fusedComplex);
      expect(maxQubits.adjointWorkgroupComplex).toBeGreaterThan(0);
      expect(maxQubits.adjointGlobalReal).toBe(Math.min(24, maxQubits.globalReal));
      expect(maxQubits.adjointGlobalComplex).toBe(Math.min(24, maxQubits.globalComplex));
    }
  });
});

describe.skipIf(skipGpu).concurrent('qmoe simulate --backend webgpu', () => {
  it('gives the Bell state probabilities', async () => {
    const out = json(await qmoe('simulate', '--qasm', 'examples/bell.qasm', '--backend', 'webgpu', '--json'));
    expect(out.backend).toBe('webgpu');
    expect(out.adapter).toMatch(/\S/);
    expectClose(out.probabilities, BELL, 1e-6);
  });

  it('gives GHZ3 and its expert probabilities', async () => {
    const out = json(await qmoe('simulate', '--qasm', 'examples/ghz3.qasm', '--backend', 'webgpu', '--experts', '2', '--json'));
    expectClose(out.probabilities, GHZ3, 1e-6);
    expectClose(out.experts, [0.5, 0.5], 1e-6);
  });
});

let dir: string | undefined;
function tmp(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'qmoe-cli-'));
  return dir;
}
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
