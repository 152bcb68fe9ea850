/**
 * `qmoe simulate` and `qmoe grad` on OpenQASM beyond the basic gates: qelib1's gates and user
 * gates, OpenQASM 3, noise once per gate of the file, mid-circuit measurement with --shots, and
 * the QASM items of issue 15 (broadcast sizes, deep expressions, measure then gate, bad measure
 * arguments) as exit-2 errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseQasmProgram } from '../../src/circuit/qasm.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { fileAngleGradient } from '../../src/sim/file-gradient.js';
import { runQmoe, type CliRun } from '../helpers/cli.js';
import { skipGpu } from '../helpers/gpu.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-qasm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (...args: string[]) => runQmoe(args, 60_000);
const why = (run: CliRun) => `exit ${run.code}, signal ${run.signal}, stderr:\n${run.stderr}`;
const HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function json(run: CliRun): Record<string, unknown> {
  expect(run.code, why(run)).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

function expectUserError(run: CliRun, ...mentions: (string | RegExp)[]): void {
  expect(run.code, why(run)).toBe(2);
  expect(run.stdout).toBe('');
  for (const m of mentions) expect(run.stderr).toMatch(m);
  expect(run.stderr).not.toMatch(/internal error|RangeError|Maximum call stack/);
}

describe('qmoe simulate: qelib1, user gates, OpenQASM 3', () => {
  it('runs u3, ccx and a user gate (probabilities exact)', async () => {
    // u3(theta, 0, 0) is RY(theta); ccx copies the AND of q[0], q[1] into q[2].
    const path = file('mix.qasm', `${HEAD}gate flip2 a, b { x a; x b; }\nqreg q[3];\nu3(pi/3, 0.4, 0.1) q[0];\nflip2 q[1], q[2];\nccx q[0], q[1], q[2];\n`);
    const out = json(await qmoe('simulate', '--qasm', path, '--backend', 'cpu', '--json'));
    const p1 = Math.sin(Math.PI / 6) ** 2;
    const want = [0, 0, 0, 1 - p1, 0, 0, p1, 0];
    (out.probabilities as number[]).forEach((p, k) => expect(p).toBeCloseTo(want[k], 12));
  });

  it('reads the OpenQASM 3 subset: qubit[n], stdgates.inc, c = measure q, gphase (errors: test/circuit/qasm.test.ts)', async () => {
    const path = file('v3.qasm', 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nh q[0];\ngphase(0.7);\ncx q[0], q[1];\nc = measure q;\n');
    const out = json(await qmoe('simulate', '--qasm', path, '--backend', 'cpu', '--json'));
    expect(out.probabilities).toEqual([expect.closeTo(0.5, 12), 0, 0, expect.closeTo(0.5, 12)]);
  });

  it('puts one noise channel after each gate of the file, not after each op it is lowered to', async () => {
    // u3 is three ops; with one depolarizing channel of rate p after it,
    // P(0) = (1 - 4p/3) cos^2(theta/2) + 2p/3.
    const theta = 1.1, p = 0.2;
    const path = file('u3-noise.qasm', `${HEAD}qreg q[1];\nu3(${theta}, 0.5, -0.3) q[0];\n`);
    const out = json(await qmoe('simulate', '--qasm', path, '--backend', 'cpu', '--noise', String(p), '--json'));
    expect((out.probabilities as number[])[0]).toBeCloseTo((1 - (4 * p) / 3) * Math.cos(theta / 2) ** 2 + (2 * p) / 3, 12);
  });
});

describe('qmoe simulate: measurement in the middle', () => {
  const teleport = 'examples/teleport.qasm';

  it('exits 2 without --shots, naming the line and --shots', async () => {
    expectUserError(await qmoe('simulate', '--qasm', teleport, '--backend', 'cpu'), /teleport\.qasm: qasm line 16/, /if \(b==1\)/, /--shots S/);
    // Issue 15: a gate after a measurement of that qubit is no longer ignored.
    const path = file('measure-gate.qasm', `${HEAD}qreg q[1];\ncreg c[1];\nh q[0];\nmeasure q[0] -> c[0];\nh q[0];\n`);
    expectUserError(await qmoe('simulate', '--qasm', path, '--backend', 'cpu'), /qasm line 7/, /h on q\[0\] after measure q\[0\] at line 6/, /--shots/);
  });

  it('simulates the collapse per shot with --shots (JSON: frequencies, counts, classical bits)', async () => {
    const out = json(await qmoe('simulate', '--qasm', teleport, '--shots', '20000', '--seed', '4', '--json'));
    expect(out).toMatchObject({ qubits: 3, backend: 'cpu', method: 'shots (mid-circuit measurement)', shots: 20000, seed: 4 });
    const counts = out.counts as number[];
    const ones = counts.reduce((acc, c, k) => acc + (k & 1 ? c : 0), 0);
    const p = Math.sin(0.65) ** 2;
    expect(Math.abs(ones - 20000 * p)).toBeLessThan(5 * Math.sqrt(20000 * p * (1 - p)));
    expect(Object.keys(out.classical as object).sort()).toEqual(['00', '01', '10', '11']);
    const text = await qmoe('simulate', '--qasm', teleport, '--shots', '100');
    expect(text.code, why(text)).toBe(0);
    expect(text.stdout).toMatch(/classical bits\s+count/);
  });

  it('refuses --backend webgpu and --trajectories for such circuits with the reason', async () => {
    expectUserError(await qmoe('simulate', '--qasm', teleport, '--shots', '10', '--backend', 'webgpu'), /--backend webgpu/, /per shot on the CPU only/);
    expectUserError(await qmoe('simulate', '--qasm', teleport, '--shots', '10', '--noise', '0.01', '--trajectories', '5'), /--trajectories/, /every shot is one noise trajectory/);
  });

  it('adds noise with one trajectory per shot', async () => {
    // x, measure, x: P(c = 1) = 1 - 2p/3 (X and Y flip the bit); the final bit is 1 with 2 q (1 - q), q = 2p/3.
    const p = 0.3, q = (2 * p) / 3, shots = 20000;
    const path = file('noisy-mid.qasm', `${HEAD}qreg r[1];\ncreg c[1];\nx r[0];\nmeasure r[0] -> c[0];\nx r[0];\n`);
    const out = json(await qmoe('simulate', '--qasm', path, '--shots', String(shots), '--noise', String(p), '--json'));
    expect(out.method).toMatch(/one noise trajectory per shot/);
    const c1 = (out.classical as Record<string, number>)['1'];
    expect(Math.abs(c1 - shots * (1 - q))).toBeLessThan(5 * Math.sqrt(shots * q * (1 - q)));
    const final1 = (out.counts as number[])[1], pf = 2 * q * (1 - q);
    expect(Math.abs(final1 - shots * pf)).toBeLessThan(5 * Math.sqrt(shots * pf * (1 - pf)));
  });

  it('checks measure arguments (issue 15; every case in test/circuit/qasm.test.ts)', async () => {
    expectUserError(await qmoe('simulate', '--qasm', file('measure-bad.qasm', `${HEAD}qreg q[2];\ncreg c[2];\nmeasure q[2] -> c[0];\n`), '--backend', 'cpu'), /qasm line 5/, /"q\[2\]".*index out of range/);
  });
});

describe('qmoe simulate: issue 15 broadcasts and expressions', () => {
  it('refuses a broadcast of registers of unequal sizes instead of reading into the next register', async () => {
    const head = `${HEAD}qreg a[1];\nqreg b[3];\n`;
    expectUserError(await qmoe('simulate', '--qasm', file('bc1.qasm', `${head}x b[0];\ncx a,b;\n`), '--backend', 'cpu'), /qasm line 6/, /"a, b"/, /equal sizes \(a has 1, b has 3\)/);
    // A single qubit repeats against a register.
    const out = json(await qmoe('simulate', '--qasm', file('bc3.qasm', `${head}x a[0];\ncx a[0],b;\n`), '--backend', 'cpu', '--json'));
    expect((out.probabilities as number[])[0b1111]).toBeCloseTo(1, 12);
  });

  it('refuses deeply nested angle expressions with a depth limit, not a stack overflow', async () => {
    const deep = `${HEAD}qreg q[1];\nrx(${'('.repeat(100000)}1${')'.repeat(100000)}) q[0];\n`;
    expectUserError(await qmoe('simulate', '--qasm', file('deep.qasm', deep), '--backend', 'cpu'), /qasm line 4/, /nested too deeply: at most 256 levels/);
  });

});

describe('qmoe grad on qelib1 gates and user gates', () => {
  const example = 'examples/qelib1-gates.qasm';
  const weights = 'examples/qelib1-gates.weights.json';

  it('differentiates every angle argument in file order (u3, p, cu1 inside a user gate, rzz)', async () => {
    const out = json(await qmoe('grad', '--qasm', example, '--weights', weights, '--backend', 'cpu', '--json'));
    const { readFileSync } = await import('node:fs');
    const program = parseQasmProgram(readFileSync(example, 'utf8'));
    const want = await fileAngleGradient(new CpuBackend(), program, { kind: 'probabilities' }, JSON.parse(readFileSync(weights, 'utf8')) as number[]);
    expect(out.gradient).toHaveLength(6);
    (out.gradient as number[]).forEach((g, i) => expect(g).toBeCloseTo(want[i], 12));
    expect((out.parameters as { gate: string; name: string }[]).map((p) => `${p.gate} ${p.name}`)).toEqual([
      'entangle theta', 'entangle phi', 'u3 theta', 'u3 phi', 'u3 lambda', 'p lambda',
    ]);
    const table = await qmoe('grad', '--qasm', example, '--weights', weights, '--backend', 'cpu');
    expect(table.stdout).toMatch(/^2\s+u3 q\[2\] theta\s+1\.2\s+/m);
    expect(table.stdout).toMatch(/^5\s+p q\[1\]\s+0\.5\s+/m);
  });

  it.skipIf(skipGpu)('gives the same gradient on WebGPU (f32)', async () => {
    const { readFileSync } = await import('node:fs');
    const program = parseQasmProgram(readFileSync(example, 'utf8'));
    const want = await fileAngleGradient(new CpuBackend(), program, { kind: 'probabilities' }, JSON.parse(readFileSync(weights, 'utf8')) as number[]);
    const gpu = json(await qmoe('grad', '--qasm', example, '--weights', weights, '--backend', 'webgpu', '--json'));
    expect(gpu.backend).toBe('webgpu');
    (gpu.gradient as number[]).forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(1e-4));
  });

  it('refuses a circuit that measures in the middle', async () => {
    expectUserError(await qmoe('grad', '--qasm', 'examples/teleport.qasm', '--weights', file('w8.json', '[1,0,0,0,0,0,0,0]'), '--backend', 'cpu'), /qasm line 16/, /measures, resets or branches/);
  });
});
