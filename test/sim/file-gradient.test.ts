/**
 * Gradients with respect to the angle arguments of an OpenQASM file (what `qmoe grad` prints), for
 * every parameterised gate of qelib1.inc and for user gates whose bodies use expressions of their
 * parameters (sin(t), t*s, s^2, nested definitions), against central finite differences of the
 * loss computed by re-parsing the file with one angle argument changed in its text. The
 * differences know nothing of the lowering or of the chain rule, so they check both.
 * CPU (float64) and WebGPU (f32, SwiftShader in CI).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQasm, parseQasmProgram } from '../../src/circuit/qasm.js';
import type { GpuContext } from '../../src/gpu/context.js';
import type { Backend } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { fileAngleGradient } from '../../src/sim/file-gradient.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32, randomInt } from '../helpers/random.js';

/** Parametric gates of qelib1.inc: name, qubits, angles. */
const PARAMETRIC: [string, number, number][] = [
  ['u3', 1, 3], ['u2', 1, 2], ['u1', 1, 1], ['u', 1, 3], ['U', 1, 3], ['p', 1, 1], ['u0', 1, 1], ['rx', 1, 1], ['ry', 1, 1], ['rz', 1, 1],
  ['crx', 2, 1], ['cry', 2, 1], ['crz', 2, 1], ['cu1', 2, 1], ['cp', 2, 1], ['cu3', 2, 3], ['cu', 2, 4], ['rxx', 2, 1], ['rzz', 2, 1],
  // User gates of the file below.
  ['g', 2, 2], ['f', 2, 1],
];

const DEFINITIONS = `gate g(t,s) a,b { rx(sin(t)*2) a; cu3(t+s, s^2, -t/2) a,b; rzz(t*s) b,a; h b; }
gate f(t) a,b { g(t, 2*t) b,a; u3(t, -t, pi/2) a; }
`;

/**
 * A program with `slots.length` angle arguments written from `angles`: a mixing layer, then each
 * parametric gate (twice, on random wires), then another mixing layer.
 */
function makeProgram(rng: () => number, qubits: number) {
  const calls: { gate: string; wires: number[]; angles: number }[] = [];
  const mix = () => {
    for (let q = 0; q < qubits; q++) calls.push({ gate: 'ry', wires: [q], angles: 1 });
    for (let q = 0; q + 1 < qubits; q++) calls.push({ gate: 'cx', wires: [q, q + 1], angles: 0 });
  };
  mix();
  for (const [gate, k, angles] of [...PARAMETRIC, ...PARAMETRIC]) {
    const wires = Array.from({ length: qubits }, (_, i) => i).sort(() => rng() - 0.5).slice(0, k);
    calls.push({ gate, wires, angles });
    if (randomInt(rng, 2)) calls.push({ gate: 'h', wires: [randomInt(rng, qubits)], angles: 0 });
  }
  mix();
  const count = calls.reduce((n, c) => n + c.angles, 0);
  const text = (angles: number[]) => {
    let next = 0;
    const body = calls.map((c) => {
      const args = c.angles ? `(${Array.from({ length: c.angles }, () => String(angles[next++])).join(',')})` : '';
      return `${c.gate}${args} ${c.wires.map((w) => `q[${w}]`).join(',')};`;
    });
    return `OPENQASM 2.0;\ninclude "qelib1.inc";\n${DEFINITIONS}qreg q[${qubits}];\ncreg c[${qubits}];\n${body.join('\n')}\nmeasure q -> c;\n`;
  };
  const angles = Array.from({ length: count }, () => (rng() * 2 - 1) * Math.PI);
  // s^2 of g needs no special care; keep the angles away from nothing in particular.
  return { text, angles };
}

const cpu = new CpuBackend();

async function loss(text: string, weights: number[]): Promise<number> {
  const p = await cpu.probabilities(parseQasm(text), { rows: 1 });
  return p.reduce((acc, v, k) => acc + v * weights[k], 0);
}

/** Central differences of the loss in each angle argument of the file, h = 1e-5. */
async function finiteDifferences(text: (a: number[]) => string, angles: number[], weights: number[]): Promise<number[]> {
  const h = 1e-5;
  const out: number[] = [];
  for (let i = 0; i < angles.length; i++) {
    const up = angles.slice();
    const down = angles.slice();
    up[i] += h;
    down[i] -= h;
    out.push(((await loss(text(up), weights)) - (await loss(text(down), weights))) / (2 * h));
  }
  return out;
}

async function check(backend: Backend, seed: number, qubits: number, tol: number): Promise<void> {
  const rng = mulberry32(seed);
  const { text, angles } = makeProgram(rng, qubits);
  const weights = Array.from({ length: 2 ** qubits }, () => rng() * 2 - 1);
  const program = parseQasmProgram(text(angles));
  // One parameter per angle argument, in file order.
  expect(program.parameters.map((p) => p.value)).toEqual(angles);
  expect(new Set(program.parameters.map((p) => p.gate))).toEqual(new Set(['ry', ...PARAMETRIC.map(([g]) => g)]));
  const got = await fileAngleGradient(backend, program, { kind: 'probabilities' }, weights);
  const want = await finiteDifferences(text, angles, weights);
  let worst = 0, at = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (d > worst) [worst, at] = [d, i];
  }
  const p = program.parameters[at];
  expect(worst, `worst at parameter ${at} (${p.gate} ${p.name}, line ${p.line}): ${got[at]} vs ${want[at]}`).toBeLessThan(tol);
  // u0's angle changes nothing.
  program.parameters.forEach((q, i) => {
    if (q.gate === 'u0') expect(Math.abs(got[i])).toBeLessThan(1e-12);
  });
}

describe('gradients of file angles on the CPU', () => {
  it.each([[1, 2], [2, 3]])('match finite differences of the file text for every parametric gate (seed %i, %i qubits)', async (seed, qubits) => {
    await check(cpu, seed, qubits, 1e-7);
  });

  it('refuses a program that measures in the middle, naming the line', async () => {
    const program = parseQasmProgram('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nrx(0.3) q[0];\nmeasure q[0] -> c[0];\nrx(0.2) q[0];\n');
    await expect(fileAngleGradient(cpu, program, { kind: 'probabilities' }, [1, -1])).rejects.toThrow(/qasm line 7.*measures, resets or branches/);
  });
});

describe.skipIf(skipGpu)('gradients of file angles on WebGPU', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  it('match finite differences of the file text for every parametric gate (3 qubits, f32)', async () => {
    await check(new WebGpuBackend(gpu), 3, 3, 2e-4);
  });
});
