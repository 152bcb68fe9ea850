import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATES } from '../../src/circuit/gates.js';
import { parseQasm, toQasm } from '../../src/circuit/qasm.js';
import type { Circuit, GateName } from '../../src/circuit/types.js';
import { QmoeInputError } from '../../src/errors.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';

const HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';
const example = (name: string) => readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8');
const cpu = new CpuBackend();

/** Asserts that parsing `src` throws a QmoeInputError whose argument and message match. */
function expectQasmError(src: string, argument: string | RegExp, message: RegExp): void {
  let err: unknown;
  try {
    parseQasm(src);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(QmoeInputError);
  const q = err as QmoeInputError;
  if (typeof argument === 'string') expect(q.argument).toBe(argument);
  else expect(q.argument).toMatch(argument);
  expect(q.message).toMatch(message);
}

describe('parseQasm', () => {
  it('parses the Bell example', async () => {
    const c = parseQasm(example('bell.qasm'));
    expect(c).toEqual({ qubits: 2, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }, { gate: 'cnot', wires: [0, 1] }] });
    const p = await cpu.probabilities(c, { rows: 1 });
    expect(Array.from(p)).toEqual([expect.closeTo(0.5, 12), 0, 0, expect.closeTo(0.5, 12)]);
  });

  it('parses the GHZ example (barrier and measure ignored)', async () => {
    const c = parseQasm(example('ghz3.qasm'));
    expect(c.qubits).toBe(3);
    expect(c.ops.map((o) => o.gate)).toEqual(['h', 'cnot', 'cnot']);
    const p = await cpu.probabilities(c, { rows: 1 });
    expect(p[0]).toBeCloseTo(0.5, 12);
    expect(p[7]).toBeCloseTo(0.5, 12);
  });

  it('concatenates registers and broadcasts register arguments', () => {
    const c = parseQasm(`${HEAD}qreg a[2]; qreg b[2]; creg c[4];\nh a;\ncx a, b;\ncz a[1], b;\nswap a[0],b[1];`);
    expect(c.qubits).toBe(4);
    expect(c.ops).toEqual([
      { gate: 'h', wires: [0] },
      { gate: 'h', wires: [1] },
      { gate: 'cnot', wires: [0, 2] },
      { gate: 'cnot', wires: [1, 3] },
      { gate: 'cz', wires: [1, 2] },
      { gate: 'cz', wires: [1, 3] },
      { gate: 'swap', wires: [0, 3] },
    ]);
  });

  it('evaluates angle expressions in float64', () => {
    const exprs: [string, number][] = [
      ['-pi/4', -Math.PI / 4],
      ['2*pi/3', (2 * Math.PI) / 3],
      ['sin(0.3)', Math.sin(0.3)],
      ['1e-3', 1e-3],
      ['1.5E+2 - -2', 152],
      ['-(pi + 1) * 2', -(Math.PI + 1) * 2],
      ['cos(pi) + tan(0.2) + exp(1) + ln(2) + sqrt(2)', Math.cos(Math.PI) + Math.tan(0.2) + Math.exp(1) + Math.log(2) + Math.sqrt(2)],
      ['2^3/4', 2],
      ['.5', 0.5],
    ];
    for (const [src, value] of exprs) {
      const c = parseQasm(`${HEAD}qreg q[1];\nrz(${src}) q[0];`);
      expect(c.ops[0].angle, src).toEqual({ kind: 'const', value });
    }
  });

  it('handles comments, several statements per line and statements across lines', () => {
    const c = parseQasm(`// leading comment\nOPENQASM 2.0; include "qelib1.inc"; /* block\n comment */ qreg q[2];\nrx(\n  pi / 2 // half turn\n) q[0]; CX q[0],\n q[1]; ry(0.25) q[1];`);
    expect(c.ops).toEqual([
      { gate: 'rx', wires: [0], angle: { kind: 'const', value: Math.PI / 2 } },
      { gate: 'cnot', wires: [0, 1] },
      { gate: 'ry', wires: [1], angle: { kind: 'const', value: 0.25 } },
    ]);
  });

  it('rejects a missing or wrong header', () => {
    expectQasmError('include "qelib1.inc";\nqreg q[1];', 'qasm line 1', /OPENQASM 2\.0/);
    expectQasmError('OPENQASM 4.0;\nqreg q[1];', 'qasm line 1', /only OpenQASM 2\.0/);
    expectQasmError('', 'qasm line 1', /OPENQASM 2\.0/);
  });

  it('reads the OpenQASM 3 subset and names OpenQASM 3 syntax in an OpenQASM 2 file', () => {
    const c = parseQasm('OPENQASM 3;\ninclude "stdgates.inc";\nqubit q0;\nqubit[2] q;\nbit[3] c;\nphase(0.5) q0;\ncphase(0.25) q[0], q[1];\nU(0.1, 0.2, 0.3) q[1];\nrx(τ/4) q0;\nc[0] = measure q0;\nmeasure q[1];\ngphase(pi);\n');
    expect(c.qubits).toBe(3);
    expect(c.ops.map((o) => o.gate)).toEqual(['p', 'cp', 'p', 'ry', 'p', 'rx']);
    expect(c.ops[5].angle).toEqual({ kind: 'const', value: Math.PI / 2 });
    expectQasmError(`${HEAD}qubit[2] q;`, 'qasm line 3', /"qubit".*OpenQASM 3 syntax: declare qreg q\[n\]; in OpenQASM 2/);
    expectQasmError('OPENQASM 3.0;\nqubit[1] q;\nctrl @ x q[0];', 'qasm line 3', /"ctrl".*beyond the common subset/);
  });

  it('rejects unknown gates, listing the gates of qelib1.inc', () => {
    expectQasmError(`${HEAD}qreg q[2];\n\nfoo q[0],q[1];`, 'qasm line 5', /"foo".*unknown gate.*qelib1\.inc: c3sqrtx, .*ccx, .*u3, x, y, z/);
    // A definition is needed before the call.
    expectQasmError(`${HEAD}qreg q[1];\ng q[0];\ngate g a { h a; }`, 'qasm line 4', /"g".*unknown gate/);
  });

  it('rejects wires out of range, naming register, index and size', () => {
    expectQasmError(`${HEAD}qreg a[2];\nqreg b[3];\nh b[3];`, 'qasm line 5', /"b\[3\]".*register b has size 3/);
    expectQasmError(`${HEAD}qreg q[2];\nh r[0];`, 'qasm line 4', /"r".*unknown qubit register/);
    expectQasmError(`${HEAD}qreg q[2];\ncreg c[2];\nh c[0];`, 'qasm line 5', /classical register/);
    expectQasmError(`${HEAD}qreg q[2];\ncx q[1],q[1];`, 'qasm line 4', /must differ/);
    expectQasmError(`${HEAD}qreg a[2];\nqreg b[3];\ncx a,b;`, 'qasm line 5', /equal sizes/);
  });

  it('rejects wrong argument counts', () => {
    expectQasmError(`${HEAD}qreg q[2];\nrx q[0];`, 'qasm line 4', /rx takes 1 angle/);
    expectQasmError(`${HEAD}qreg q[2];\nh(0.1) q[0];`, 'qasm line 4', /h takes 0 angle/);
    expectQasmError(`${HEAD}qreg q[2];\nry(1, 2) q[0];`, 'qasm line 4', /ry takes 1 angle/);
    expectQasmError(`${HEAD}qreg q[2];\ncx q[0];`, 'qasm line 4', /cx takes 2 qubit/);
    expectQasmError(`${HEAD}qreg q[3];\nh q[0], q[1];`, 'qasm line 4', /h takes 1 qubit/);
  });

  it('rejects bad syntax and bad expressions with the line', () => {
    expectQasmError(`${HEAD}qreg q[2]\nh q[0];`, 'qasm line 4', /expected ';'/);
    expectQasmError(`${HEAD}qreg q[2];\nh q[0]`, 'qasm line 4', /expected ';'/);
    expectQasmError(`${HEAD}qreg q[2];\nrx(theta) q[0];`, 'qasm line 4', /"theta".*unknown name/);
    expectQasmError(`${HEAD}qreg q[2];\nrx(1/0) q[0];`, 'qasm line 4', /finite/);
    expectQasmError(`${HEAD}qreg q[2];\nrx(pi +) q[0];`, 'qasm line 4', /expected a number/);
    expectQasmError(`${HEAD}qreg q[2];\nh q[0]; @`, 'qasm line 4', /unexpected character/);
    expectQasmError(`${HEAD}qreg q[0];`, 'qasm line 3', /positive integer/);
    expectQasmError(`${HEAD}qreg q[2];\nqreg q[1];`, 'qasm line 4', /already declared/);
    expectQasmError(`${HEAD}/* open`, 'qasm line 3', /unterminated/);
    expectQasmError(`${HEAD}qreg q[2];\nh q[1.5];`, 'qasm line 4', /out of range/);
    expectQasmError(`OPENQASM 2.0;\ninclude "other.inc";`, 'qasm line 2', /qelib1\.inc/);
    expectQasmError(HEAD, 'qasm', /at least one qubit/);
    expectQasmError(`${HEAD}qreg q[31];`, 'qasm line 3', /at most 30 qubits/);
  });

  it('refuses opaque gates by name when they are used', () => {
    expect(parseQasm(`${HEAD}opaque g(a) b;\nqreg q[1];\nh q[0];`).ops).toHaveLength(1);
    expectQasmError(`${HEAD}opaque g(a) b;\nqreg q[1];\ng(0.5) q[0];`, 'qasm line 5', /"g".*opaque/);
  });

  it('refuses circuits whose outcome depends on a measurement in the middle, naming the statement and --shots', () => {
    expectQasmError(`${HEAD}qreg q[1];\ncreg c[1];\nh q[0];\nreset q[0];`, 'qasm line 6', /reset q\[0\] after gates.*--shots S/);
    expectQasmError(`${HEAD}qreg q[1];\ncreg c[1];\nh q[0];\nmeasure q[0] -> c[0];\nh q[0];`, 'qasm line 7', /h on q\[0\] after measure q\[0\] at line 6.*--shots/);
    expectQasmError(`${HEAD}qreg q[1];\ncreg c[1];\nif (c==1) x q[0];`, 'qasm line 5', /if.*--shots/);
    // A reset before any gate is a no-op, and gates on other qubits after a measurement are fine.
    const c = parseQasm(`${HEAD}qreg q[2];\ncreg c[2];\nreset q;\nh q[0];\nmeasure q[0] -> c[0];\nx q[1];\nmeasure q[1] -> c[1];`);
    expect(c.ops).toEqual([{ gate: 'h', wires: [0] }, { gate: 'x', wires: [1] }]);
  });
});

describe('parseQasm: measure arguments and expression depth (issue 15)', () => {
  it('checks that measured qubits and bits exist and that registers match', () => {
    const cases: [string, RegExp][] = [
      ['measure q[2] -> c[0];', /"q\[2\]".*index out of range: register q has size 2/],
      ['measure q[0] -> c[2];', /"c\[2\]".*index out of range: register c has size 2/],
      ['measure q -> d;', /"d".*unknown classical register/],
      ["measure q -> e;", /"q -> e".*equal sizes \(q has 2, e has 3\)/],
      ['measure q -> c[0];', /a register into a register or one qubit into one bit/],
      ['measure q[0] -> c;', /a register into a register or one qubit into one bit/],
      ['measure r[0] -> c[0];', /"r".*unknown qubit register/],
      ['measure c[0] -> q[0];', /"c".*classical register/],
      ['measure q[0] -> q[1];', /"q".*is a qubit register/],
      ['measure q[0];', /expected '->'/],
    ];
    for (const [body, message] of cases) expectQasmError(`${HEAD}qreg q[2];\ncreg c[2];\ncreg e[3];\n${body}`, 'qasm line 6', message);
  });

  it('limits the depth of angle expressions with a clear error (no stack overflow)', () => {
    expectQasmError(`${HEAD}qreg q[1];\nrx(${'('.repeat(100000)}1${')'.repeat(100000)}) q[0];`, 'qasm line 4', /nested too deeply: at most 256 levels/);
    expectQasmError(`${HEAD}qreg q[1];\nrx(${'-'.repeat(100000)}1) q[0];`, 'qasm line 4', /nested too deeply/);
    expectQasmError(`${HEAD}qreg q[1];\nrx(2${'^2'.repeat(100000)}) q[0];`, 'qasm line 4', /nested too deeply/);
    // Long flat chains fold to constants; in a gate body they are trees, limited in depth too.
    expect(parseQasm(`${HEAD}qreg q[1];\nrx(${'1+'.repeat(100000)}1) q[0];`).ops[0].angle).toEqual({ kind: 'const', value: 100001 });
    expectQasmError(`${HEAD}gate g(t) a { rx(${'t+'.repeat(1000)}t) a; }\nqreg q[1];`, 'qasm line 3', /too deep: at most 256 nested operations/);
    // Depth through nested definitions is counted after substituting arguments.
    const chain = Array.from({ length: 300 }, (_, i) => (i === 0 ? 'gate g0(t) a { rx(t) a; }' : `gate g${i}(t) a { g${i - 1}(t*2) a; }`)).join('\n');
    expectQasmError(`${HEAD}${chain}\nqreg q[1];`, /qasm line \d+/, /too deep.*after substituting gate arguments/);
    // 100 nested parentheses are fine.
    expect(parseQasm(`${HEAD}qreg q[1];\nrx(${'('.repeat(100)}0.5${')'.repeat(100)}) q[0];`).ops[0].angle).toEqual({ kind: 'const', value: 0.5 });
  });
});

describe('parseQasm: gate definitions', () => {
  it('expands user gates with parameters, nested calls and broadcasting at parse time', () => {
    const c = parseQasm(`${HEAD}gate r(t) a { ry(t/2) a; }\ngate pair(t, s) a, b { r(t*2) a; cx a, b; rz(s) b; barrier a, b; }\nqreg q[2];\nqreg w[2];\npair(0.5, -1) q, w;`);
    expect(c.ops).toEqual([
      { gate: 'ry', wires: [0], angle: { kind: 'const', value: 0.5 } },
      { gate: 'cnot', wires: [0, 2] },
      { gate: 'rz', wires: [2], angle: { kind: 'const', value: -1 } },
      { gate: 'ry', wires: [1], angle: { kind: 'const', value: 0.5 } },
      { gate: 'cnot', wires: [1, 3] },
      { gate: 'rz', wires: [3], angle: { kind: 'const', value: -1 } },
    ]);
  });

  it('names what is wrong in a definition', () => {
    expectQasmError(`${HEAD}gate g a { h b; }`, 'qasm line 3', /"b".*not a qubit of gate g/);
    expectQasmError(`${HEAD}gate g a { h a[0]; }`, 'qasm line 3', /without indices/);
    expectQasmError(`${HEAD}gate g a, b { cx a, a; }`, 'qasm line 3', /qubits of cx must differ/);
    expectQasmError(`${HEAD}gate g(t) a { rx(u) a; }`, 'qasm line 3', /"u".*unknown name.*gate's parameters \(t\)/);
    expectQasmError(`${HEAD}gate g a, a { h a; }`, 'qasm line 3', /must differ/);
    expectQasmError(`${HEAD}gate g a { h a; }\ngate g a { x a; }`, 'qasm line 4', /already defined/);
    expectQasmError(`${HEAD}gate g a { h a;`, 'qasm line 3', /expected '}'/);
    expectQasmError(`${HEAD}gate g(t) a { rx(t) a; }\nqreg q[1];\ng q[0];`, 'qasm line 5', /g takes 1 angle/);
    expectQasmError(`${HEAD}gate g a, b { cx a, b; }\nqreg q[2];\ng q[0];`, 'qasm line 5', /g takes 2 qubit/);
    // Nested definitions cannot expand without bound: each level here calls the previous 16 times.
    const calls = (g: string) => Array.from({ length: 16 }, () => `${g} a;`).join(' ');
    const blowup = Array.from({ length: 8 }, (_, i) => (i === 0 ? 'gate d0 a { x a; x a; }' : `gate d${i} a { ${calls(`d${i - 1}`)} }`)).join('\n');
    expectQasmError(`${HEAD}${blowup}`, 'qasm line 8', /"d5".*gate d5 expands to more than 1048576 gates/);
  });

  it('lets a file define a gate qelib1 already has (its definition wins)', () => {
    expect(parseQasm(`${HEAD}gate rzz(t) a, b { cx a, b; rz(t) b; cx a, b; }\nqreg q[2];\nrzz(0.3) q[0], q[1];`).ops.map((o) => o.gate)).toEqual(['cnot', 'rz', 'cnot']);
  });
});

describe('toQasm', () => {
  it('writes the header, one gate per line, cnot as cx', () => {
    const c: Circuit = { qubits: 2, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }, { gate: 'cnot', wires: [0, 1] }, { gate: 'rz', wires: [1], angle: { kind: 'const', value: 1e-7 } }] };
    expect(toQasm(c)).toBe(`${HEAD}qreg q[2];\nh q[0];\ncx q[0],q[1];\nrz(1.0e-7) q[1];\n`);
  });

  it('binds feature and param angles, and names what is missing', () => {
    const c: Circuit = {
      qubits: 1, features: 2, params: 1,
      ops: [{ gate: 'ry', wires: [0], angle: { kind: 'feature', index: 1 } }, { gate: 'rx', wires: [0], angle: { kind: 'param', index: 0 } }],
    };
    expect(toQasm(c, { features: [9, 0.5], params: [-2] })).toBe(`${HEAD}qreg q[1];\nry(0.5) q[0];\nrx(-2) q[0];\n`);
    expect(() => toQasm(c, { params: [1] })).toThrow(/bind\.features.*2 numbers/);
    expect(() => toQasm(c, { features: [1, 2] })).toThrow(/bind\.params/);
    expect(() => toQasm(c, { features: [1], params: [1] })).toThrow(/bind\.features/);
    expect(() => toQasm(c, { features: [1, NaN], params: [1] })).toThrow(/bind\.features\[1\]/);
    expect(() => toQasm({ ...c, qubits: 0 })).toThrow(QmoeInputError);
  });

  it('round-trips random circuits of every gate exactly', async () => {
    const rng = mulberry32(12345);
    const seen = new Set<GateName>();
    for (let k = 0; k < 60; k++) {
      const qubits = 1 + Math.floor(rng() * 6);
      const c = randomCircuit(rng, { qubits, gates: 1 + Math.floor(rng() * 30) });
      c.ops.forEach((o) => seen.add(o.gate));
      const back = parseQasm(toQasm(c));
      expect(back).toEqual(c);
      const [p, q] = await Promise.all([cpu.probabilities(c, { rows: 1 }), cpu.probabilities(back, { rows: 1 })]);
      for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThanOrEqual(1e-12);
    }
    expect([...seen].sort()).toEqual(Object.keys(GATES).sort());
  });

  it('round-trips awkward floats (tiny, huge, negative zero)', () => {
    for (const value of [-0, 5e-324, 1e-7, -1.2345678901234567e-12, 1e21, 123456789.123, Math.PI, -Math.E]) {
      const c: Circuit = { qubits: 1, features: 0, params: 0, ops: [{ gate: 'rz', wires: [0], angle: { kind: 'const', value } }] };
      expect(parseQasm(toQasm(c)), String(value)).toEqual(c);
    }
  });

  it('bound circuits simulate like the original', async () => {
    const rng = mulberry32(7);
    const c = randomCircuit(rng, { qubits: 4, gates: 40, features: 3, params: 5 });
    const features = [0.1, -2.5, 3.3];
    const params = [1, 2, 3, 4, 5].map((x) => x * 0.7);
    const p = await cpu.probabilities(c, { rows: 1, features, params });
    const q = await cpu.probabilities(parseQasm(toQasm(c, { features, params })), { rows: 1 });
    for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThanOrEqual(1e-12);
  });
});
