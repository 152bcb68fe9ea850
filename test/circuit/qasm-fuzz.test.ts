/**
 * Fuzz test of the OpenQASM 2 parser against an independent interpretation: random programs with
 * several registers of mixed sizes, broadcasting (register against register, a single qubit
 * against a register), user gate definitions with parameters and nested calls, angle
 * expressions, barriers and final measurements. qmoe parses the program as written; the
 * reference is this file's own reading of it as the OpenQASM 2 specification defines it (every
 * broadcast expanded into indexed calls, every user gate inlined with its arguments substituted as
 * text) run by the npm simulator quantum-circuit. (quantum-circuit's own user-gate support binds
 * some parameters wrongly, e.g. u3(beta, 0, 0) in a gate g(alpha, beta), so it gets inlined calls.)
 * The final states must agree up to a global phase (qelib1 fixes gates only up to one; user
 * gates are never controlled, so one phase for the whole state).
 *
 * Invalid broadcasts (registers of unequal sizes) are drawn too and must be refused with a
 * QmoeInputError naming the line.
 */
import { describe, expect, it } from 'vitest';
import { parseQasm } from '../../src/circuit/qasm.js';
import { QmoeInputError } from '../../src/errors.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { distanceUpToPhase, referenceState } from '../helpers/quantum-circuit.js';
import { mulberry32, randomInt } from '../helpers/random.js';

const PROGRAMS = 60;
const TOL = 1e-9;

/**
 * qelib1 gates quantum-circuit knows, as name, qubits, angle count. Not rxx: quantum-circuit's is
 * exp(-i theta XX), not qelib1's exp(-i theta XX / 2) (test/circuit/qelib1.test.ts checks qmoe's
 * against the qelib1 definition).
 */
const LIBRARY: [string, number, number][] = [
  ['id', 1, 0], ['x', 1, 0], ['y', 1, 0], ['z', 1, 0], ['h', 1, 0], ['s', 1, 0], ['sdg', 1, 0], ['t', 1, 0], ['tdg', 1, 0],
  ['sx', 1, 0], ['sxdg', 1, 0], ['rx', 1, 1], ['ry', 1, 1], ['rz', 1, 1], ['u1', 1, 1], ['p', 1, 1], ['u2', 1, 2], ['u3', 1, 3],
  ['u', 1, 3], ['cx', 2, 0], ['cy', 2, 0], ['cz', 2, 0], ['ch', 2, 0], ['csx', 2, 0], ['swap', 2, 0], ['crx', 2, 1], ['cry', 2, 1],
  ['crz', 2, 1], ['cu1', 2, 1], ['cp', 2, 1], ['cu3', 2, 3], ['rzz', 2, 1], ['ccx', 3, 0], ['cswap', 3, 0],
];

interface Reg {
  name: string;
  size: number;
}
type Arg = { reg: Reg; index: number | null };

/** A random angle expression over `names` (the enclosing gate's parameters; none at top level). */
function expr(rng: () => number, names: string[], depth = 0): string {
  const leaf = () => {
    const r = rng();
    if (names.length && r < 0.5) return names[randomInt(rng, names.length)];
    if (r < 0.7) return `${(rng() * 4 - 2).toFixed(3)}`;
    return ['pi', 'pi/2', '-pi/4', '3*pi/8'][randomInt(rng, 4)];
  };
  if (depth > 2 || rng() < 0.4) return leaf();
  const a = expr(rng, names, depth + 1);
  const b = expr(rng, names, depth + 1);
  switch (randomInt(rng, 6)) {
    case 0: return `${a}+${b}`;
    case 1: return `(${a})-(${b})`;
    case 2: return `${a}*${b}`;
    case 3: return `-(${a})`;
    case 4: return `sin(${a})`;
    default: return `(${a})/2`;
  }
}

interface BodyCall {
  gate: string;
  angles: string[];
  /** Positions among the gate's qubits. */
  wires: number[];
}
interface UserGate {
  params: string[];
  body: BodyCall[];
}
interface Call {
  gate: string;
  angles: string[];
  wires: string[];
}

/** A call with user gates replaced by their bodies, parameters substituted as parenthesized text. */
function inline(defs: Map<string, UserGate>, call: Call): Call[] {
  const def = defs.get(call.gate);
  if (!def) return [call];
  const bind = (e: string) => def.params.reduce((t, p, i) => t.replace(new RegExp(`\\b${p}\\b`, 'g'), `(${call.angles[i]})`), e);
  return def.body.flatMap((c) => inline(defs, { gate: c.gate, angles: c.angles.map(bind), wires: c.wires.map((w) => call.wires[w]) }));
}

interface Program {
  /** What qmoe reads (broadcasts as written). */
  qmoe: string;
  /** Every call indexed, for quantum-circuit. */
  reference: string;
  qubits: number;
  /** The line of the first invalid broadcast, or 0. */
  invalidAt: number;
}

function randomProgram(rng: () => number): Program {
  const regs: Reg[] = [];
  let total = 0;
  const count = 1 + randomInt(rng, 3);
  for (let r = 0; r < count; r++) {
    const size = 1 + randomInt(rng, Math.min(3, 6 - total - (count - r - 1)));
    regs.push({ name: ['a', 'b', 'q'][r], size });
    total += size;
  }
  const head = ['OPENQASM 2.0;', 'include "qelib1.inc";', ...regs.map((r) => `qreg ${r.name}[${r.size}];`), `creg c[${total}];`];
  const lines = [...head];
  const reference = [...head];
  // Gates available to calls: the library, then user gates as they are defined.
  const gates = [...LIBRARY];
  const defs = new Map<string, UserGate>();
  for (let d = randomInt(rng, 3); d > 0; d--) {
    const params = ['alpha', 'beta'].slice(0, randomInt(rng, 3));
    const qubits = 1 + randomInt(rng, 3);
    const formal = ['x', 'y', 'z'].slice(0, qubits);
    const body: BodyCall[] = [];
    for (let k = 1 + randomInt(rng, 4); k > 0; k--) {
      const fits = gates.filter(([, q]) => q <= qubits);
      const [gate, q, np] = fits[randomInt(rng, fits.length)];
      const wires = Array.from({ length: qubits }, (_, i) => i).sort(() => rng() - 0.5).slice(0, q);
      body.push({ gate, angles: Array.from({ length: np }, () => expr(rng, params)), wires });
    }
    const name = `g${defs.size}`;
    defs.set(name, { params, body });
    const text = body.map((c) => `${c.gate}${c.angles.length ? `(${c.angles.join(',')})` : ''} ${c.wires.map((w) => formal[w]).join(',')};`);
    lines.push(`gate ${name}${params.length ? `(${params.join(',')})` : ''} ${formal.join(',')} { ${text.join(' ')} }`);
    gates.push([name, qubits, params.length]);
  }
  let invalidAt = 0;
  const calls = 3 + randomInt(rng, 8);
  for (let k = 0; k < calls; k++) {
    // A user gate with odds 1/3 when there is one.
    const user = gates.slice(LIBRARY.length);
    const [g, q, np] = user.length && rng() < 1 / 3 ? user[randomInt(rng, user.length)] : gates[randomInt(rng, gates.length)];
    const angleList = Array.from({ length: np }, () => expr(rng, []));
    const angles = np ? `(${angleList.join(',')})` : '';
    // Broadcast: with odds 1/2 some arguments are whole registers of one size m.
    const args: Arg[] = [];
    const broadcastSize = rng() < 0.5 ? regs[randomInt(rng, regs.length)].size : 0;
    const used = new Set<string>();
    for (let i = 0; i < q; i++) {
      // A register not used yet, whole or by one of its qubits.
      const whole = broadcastSize > 0 && rng() < 0.6 ? regs.filter((r) => r.size === broadcastSize && !used.has(r.name) && !args.some((a) => a.reg === r)) : [];
      // Now and then a register of another size: an invalid broadcast.
      const wrong = broadcastSize > 0 && rng() < 0.1 ? regs.filter((r) => r.size !== broadcastSize && !args.some((a) => a.reg === r)) : [];
      if (wrong.length) {
        used.add(wrong[0].name);
        args.push({ reg: wrong[0], index: null });
      } else if (whole.length) {
        const reg = whole[randomInt(rng, whole.length)];
        used.add(reg.name);
        args.push({ reg, index: null });
      } else {
        // A single qubit outside the registers broadcast so far (else one repetition repeats it).
        const free = regs.flatMap((r) => (used.has(r.name) ? [] : Array.from({ length: r.size }, (_, j) => `${r.name}[${j}]`)));
        const taken = new Set(args.filter((a) => a.index !== null).map((a) => `${a.reg.name}[${a.index}]`));
        const choices = free.filter((f) => !taken.has(f));
        if (!choices.length) break;
        const pick = choices[randomInt(rng, choices.length)];
        const reg = regs.find((r) => r.name === pick[0])!;
        args.push({ reg, index: Number(pick.slice(2, -1)) });
      }
    }
    if (args.length < q) continue;
    // Registers used whole must not also appear as single qubits (checked above), so every
    // repetition has distinct wires unless sizes differ.
    const sizes = new Set(args.filter((a) => a.index === null).map((a) => a.reg.size));
    const line = lines.length + 1;
    lines.push(`${g}${angles} ${args.map((a) => (a.index === null ? a.reg.name : `${a.reg.name}[${a.index}]`)).join(',')};`);
    if (sizes.size > 1) {
      invalidAt ||= line;
      continue;
    }
    const reps = sizes.size ? [...sizes][0] : 1;
    for (let r = 0; r < reps; r++) {
      for (const c of inline(defs, { gate: g, angles: angleList, wires: args.map((a) => `${a.reg.name}[${a.index ?? r}]`) })) {
        reference.push(`${c.gate}${c.angles.length ? `(${c.angles.join(',')})` : ''} ${c.wires.join(',')};`);
      }
    }
    if (rng() < 0.2) lines.push(`barrier ${regs.map((r) => r.name).join(',')};`);
  }
  // Final measurements (quantum-circuit would collapse its state on them, so only qmoe reads them).
  let offset = 0;
  for (const r of regs) {
    for (let j = 0; j < r.size; j++) lines.push(`measure ${r.name}[${j}] -> c[${offset + j}];`);
    offset += r.size;
  }
  return { qmoe: lines.join('\n') + '\n', reference: reference.join('\n') + '\n', qubits: total, invalidAt };
}

describe('parser fuzz against quantum-circuit', () => {
  it(`agrees on ${PROGRAMS} random programs with broadcasts, mixed register sizes and user gates`, async () => {
    const cpu = new CpuBackend();
    const rng = mulberry32(15_2024);
    let valid = 0, invalid = 0, broadcasts = 0, userCalls = 0;
    for (let t = 0; t < PROGRAMS; t++) {
      const p = randomProgram(rng);
      if (p.invalidAt) {
        invalid++;
        let err: unknown;
        try {
          parseQasm(p.qmoe);
        } catch (e) {
          err = e;
        }
        expect(err, p.qmoe).toBeInstanceOf(QmoeInputError);
        expect((err as QmoeInputError).argument, p.qmoe).toBe(`qasm line ${p.invalidAt}`);
        expect((err as Error).message).toMatch(/equal sizes/);
        continue;
      }
      valid++;
      broadcasts += p.qmoe.split('\n').filter((l) => /^[a-z0-9]+(\(.*\))? (.*,)?[abq](,|;)/.test(l)).length;
      userCalls += p.qmoe.split('\n').filter((l) => /^g\d/.test(l)).length;
      const circuit = parseQasm(p.qmoe);
      expect(circuit.qubits).toBe(p.qubits);
      const psi = await cpu.states(circuit, { rows: 1 });
      const ref = referenceState(p.reference, p.qubits);
      expect(distanceUpToPhase(psi, ref), `program ${t}\n${p.qmoe}`).toBeLessThan(TOL);
    }
    // The draw must have exercised what it is about.
    expect(valid).toBeGreaterThan(40);
    expect(invalid).toBeGreaterThan(2);
    expect(broadcasts).toBeGreaterThan(40);
    expect(userCalls).toBeGreaterThan(15);
  });

  it('broadcasts as OpenQASM 2 says: a single qubit repeats, registers step together, unequal sizes exit', () => {
    const head = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg a[1];\nqreg b[3];\n';
    // Issue 15: `cx a,b` with a[1] and b[3] read into the next register; now it is refused.
    expect(() => parseQasm(`${head}x b[0];\ncx a,b;`)).toThrow(/qasm line 6: "a, b" is invalid; register arguments of cx must have equal sizes \(a has 1, b has 3\)/);
    expect(() => parseQasm(`${head}h a;\nswap a,b;`)).toThrow(/equal sizes/);
    expect(parseQasm(`${head}x b[0];\ncx a[0],b;`).ops).toEqual([
      { gate: 'x', wires: [1] },
      { gate: 'cnot', wires: [0, 1] },
      { gate: 'cnot', wires: [0, 2] },
      { gate: 'cnot', wires: [0, 3] },
    ]);
    expect(() => parseQasm(`${head}cx b[1],b;`)).toThrow(/qasm line 5: "b\[1\]" is invalid; the qubits of cx must differ/);
  });
});
