/**
 * Every gate of qelib1.inc as qmoe runs it (lowered to the model's gates, src/circuit/qasm/prelude.ts)
 * against its qelib1 definition expanded into OpenQASM 2's two elementary gates, U and CX.
 *
 * The definitions below are those of qelib1.inc (the OpenQASM 2 paper's standard library as
 * Qiskit extends it), written as data: each body calls U, CX or a gate defined before it. The test
 * expands them recursively and multiplies out the unitary with its own small simulator, with
 * U(theta, phi, lambda) = RZ(phi) RY(theta) RZ(lambda) as the OpenQASM 2 specification defines it;
 * qmoe's unitary comes from parsing one call of the gate and running the CPU backend on every
 * basis state. Both must agree up to one global phase (the specification fixes U only up to one).
 */
import { describe, expect, it } from 'vitest';
import { parseQasm, parseQasmProgram } from '../../src/circuit/qasm.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { mulberry32 } from '../helpers/random.js';

type Call = [gate: string, wires: number[], angles?: number[]];
interface Definition {
  qubits: number;
  params: number;
  body: (a: number[]) => Call[];
}

const PI = Math.PI;
const u3 = (w: number, t: number, p: number, l: number): Call => ['u3', [w], [t, p, l]];
const u1 = (w: number, l: number): Call => ['u1', [w], [l]];
const cx = (a: number, b: number): Call => ['cx', [a, b]];
const one = (g: string, w: number): Call => [g, [w]];

/** qelib1.inc, gate by gate. */
const QELIB1: Record<string, Definition> = {
  u3: { qubits: 1, params: 3, body: ([t, p, l]) => [['U', [0], [t, p, l]]] },
  u2: { qubits: 1, params: 2, body: ([p, l]) => [['U', [0], [PI / 2, p, l]]] },
  u1: { qubits: 1, params: 1, body: ([l]) => [['U', [0], [0, 0, l]]] },
  cx: { qubits: 2, params: 0, body: () => [['CX', [0, 1]]] },
  id: { qubits: 1, params: 0, body: () => [['U', [0], [0, 0, 0]]] },
  u0: { qubits: 1, params: 1, body: () => [['U', [0], [0, 0, 0]]] },
  u: { qubits: 1, params: 3, body: ([t, p, l]) => [['U', [0], [t, p, l]]] },
  p: { qubits: 1, params: 1, body: ([l]) => [['U', [0], [0, 0, l]]] },
  x: { qubits: 1, params: 0, body: () => [u3(0, PI, 0, PI)] },
  y: { qubits: 1, params: 0, body: () => [u3(0, PI, PI / 2, PI / 2)] },
  z: { qubits: 1, params: 0, body: () => [u1(0, PI)] },
  h: { qubits: 1, params: 0, body: () => [['u2', [0], [0, PI]]] },
  s: { qubits: 1, params: 0, body: () => [u1(0, PI / 2)] },
  sdg: { qubits: 1, params: 0, body: () => [u1(0, -PI / 2)] },
  t: { qubits: 1, params: 0, body: () => [u1(0, PI / 4)] },
  tdg: { qubits: 1, params: 0, body: () => [u1(0, -PI / 4)] },
  rx: { qubits: 1, params: 1, body: ([t]) => [u3(0, t, -PI / 2, PI / 2)] },
  ry: { qubits: 1, params: 1, body: ([t]) => [u3(0, t, 0, 0)] },
  rz: { qubits: 1, params: 1, body: ([p]) => [u1(0, p)] },
  sx: { qubits: 1, params: 0, body: () => [one('sdg', 0), one('h', 0), one('sdg', 0)] },
  sxdg: { qubits: 1, params: 0, body: () => [one('s', 0), one('h', 0), one('s', 0)] },
  cz: { qubits: 2, params: 0, body: () => [one('h', 1), cx(0, 1), one('h', 1)] },
  cy: { qubits: 2, params: 0, body: () => [one('sdg', 1), cx(0, 1), one('s', 1)] },
  swap: { qubits: 2, params: 0, body: () => [cx(0, 1), cx(1, 0), cx(0, 1)] },
  ch: {
    qubits: 2, params: 0,
    body: () => [one('h', 1), one('sdg', 1), cx(0, 1), one('h', 1), one('t', 1), cx(0, 1), one('t', 1), one('h', 1), one('s', 1), one('x', 1), one('s', 0)],
  },
  ccx: {
    qubits: 3, params: 0,
    body: () => [
      one('h', 2), cx(1, 2), one('tdg', 2), cx(0, 2), one('t', 2), cx(1, 2), one('tdg', 2), cx(0, 2),
      one('t', 1), one('t', 2), one('h', 2), cx(0, 1), one('t', 0), one('tdg', 1), cx(0, 1),
    ],
  },
  cswap: { qubits: 3, params: 0, body: () => [cx(2, 1), ['ccx', [0, 1, 2]], cx(2, 1)] },
  crx: { qubits: 2, params: 1, body: ([l]) => [u1(1, PI / 2), cx(0, 1), u3(1, -l / 2, 0, 0), cx(0, 1), u3(1, l / 2, -PI / 2, 0)] },
  cry: { qubits: 2, params: 1, body: ([l]) => [['ry', [1], [l / 2]], cx(0, 1), ['ry', [1], [-l / 2]], cx(0, 1)] },
  crz: { qubits: 2, params: 1, body: ([l]) => [['rz', [1], [l / 2]], cx(0, 1), ['rz', [1], [-l / 2]], cx(0, 1)] },
  cu1: { qubits: 2, params: 1, body: ([l]) => [u1(0, l / 2), cx(0, 1), u1(1, -l / 2), cx(0, 1), u1(1, l / 2)] },
  cp: { qubits: 2, params: 1, body: ([l]) => [['p', [0], [l / 2]], cx(0, 1), ['p', [1], [-l / 2]], cx(0, 1), ['p', [1], [l / 2]]] },
  cu3: {
    qubits: 2, params: 3,
    body: ([t, p, l]) => [u1(0, (l + p) / 2), u1(1, (l - p) / 2), cx(0, 1), u3(1, -t / 2, 0, -(p + l) / 2), cx(0, 1), u3(1, t / 2, p, 0)],
  },
  csx: { qubits: 2, params: 0, body: () => [one('h', 1), ['cu1', [0, 1], [PI / 2]], one('h', 1)] },
  cu: {
    qubits: 2, params: 4,
    body: ([t, p, l, g]) => [
      ['p', [0], [g]], ['p', [0], [(l + p) / 2]], ['p', [1], [(l - p) / 2]], cx(0, 1),
      ['u', [1], [-t / 2, 0, -(p + l) / 2]], cx(0, 1), ['u', [1], [t / 2, p, 0]],
    ],
  },
  rxx: {
    qubits: 2, params: 1,
    body: ([t]) => [u3(0, PI / 2, t, 0), one('h', 1), cx(0, 1), u1(1, -t), cx(0, 1), one('h', 1), ['u2', [0], [-PI, PI - t]]],
  },
  rzz: { qubits: 2, params: 1, body: ([t]) => [cx(0, 1), u1(1, t), cx(0, 1)] },
  rccx: {
    qubits: 3, params: 0,
    body: () => [['u2', [2], [0, PI]], u1(2, PI / 4), cx(1, 2), u1(2, -PI / 4), cx(0, 2), u1(2, PI / 4), cx(1, 2), u1(2, -PI / 4), ['u2', [2], [0, PI]]],
  },
  rc3x: {
    qubits: 4, params: 0,
    body: () => {
      const h: Call = ['u2', [3], [0, PI]];
      return [
        h, u1(3, PI / 4), cx(2, 3), u1(3, -PI / 4), h, cx(0, 3), u1(3, PI / 4), cx(1, 3), u1(3, -PI / 4),
        cx(0, 3), u1(3, PI / 4), cx(1, 3), u1(3, -PI / 4), h, u1(3, PI / 4), cx(2, 3), u1(3, -PI / 4), h,
      ];
    },
  },
  c3x: {
    qubits: 4, params: 0,
    body: () => {
      const p = (w: number, l: number): Call => ['p', [w], [l]];
      const e = PI / 8;
      return [
        one('h', 3), p(0, e), p(1, e), p(2, e), p(3, e), cx(0, 1), p(1, -e), cx(0, 1), cx(1, 2), p(2, -e), cx(0, 2), p(2, e),
        cx(1, 2), p(2, -e), cx(0, 2), cx(2, 3), p(3, -e), cx(1, 3), p(3, e), cx(2, 3), p(3, -e), cx(0, 3), p(3, e), cx(2, 3),
        p(3, -e), cx(1, 3), p(3, e), cx(2, 3), p(3, -e), cx(0, 3), one('h', 3),
      ];
    },
  },
  c3sqrtx: {
    qubits: 4, params: 0,
    body: () => {
      const hc = (c: number, l: number): Call[] => [one('h', 3), ['cu1', [c, 3], [l]], one('h', 3)];
      const e = PI / 8;
      return [...hc(0, e), cx(0, 1), ...hc(1, -e), cx(0, 1), ...hc(1, e), cx(1, 2), ...hc(2, -e), cx(0, 2), ...hc(2, e), cx(1, 2), ...hc(2, -e), cx(0, 2), ...hc(2, e)];
    },
  },
  c4x: {
    qubits: 5, params: 0,
    body: () => [
      one('h', 4), ['cu1', [3, 4], [PI / 2]], one('h', 4), ['c3x', [0, 1, 2, 3]], one('h', 4), ['cu1', [3, 4], [-PI / 2]], one('h', 4),
      ['c3x', [0, 1, 2, 3]], ['c3sqrtx', [0, 1, 2, 4]],
    ],
  },
};

/** Expands a call into U and CX (wires of the whole register). */
function expand(call: Call, out: Call[]): void {
  const [gate, wires, angles = []] = call;
  if (gate === 'U' || gate === 'CX') {
    out.push(call);
    return;
  }
  const def = QELIB1[gate];
  for (const [g, w, a] of def.body(angles)) expand([g, w.map((i) => wires[i]), a], out);
}

type C = [number, number];
const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const add = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];

/** U(theta, phi, lambda) = RZ(phi) RY(theta) RZ(lambda) of the specification, row-major. */
function specU(t: number, p: number, l: number): C[] {
  const c = Math.cos(t / 2), s = Math.sin(t / 2);
  const e = (x: number): C => [Math.cos(x), Math.sin(x)];
  return [mul(e(-(p + l) / 2), [c, 0]), mul(e(-(p - l) / 2), [-s, 0]), mul(e((p - l) / 2), [s, 0]), mul(e((p + l) / 2), [c, 0])];
}

/** The unitary of U/CX calls on k qubits, column j = the image of basis state j (qubit 0 the most significant bit). */
function definitionUnitary(calls: Call[], k: number): C[][] {
  const dim = 2 ** k;
  const bit = (q: number) => 1 << (k - 1 - q);
  const cols: C[][] = [];
  for (let j = 0; j < dim; j++) {
    let psi: C[] = Array.from({ length: dim }, (_, i) => [i === j ? 1 : 0, 0]);
    for (const [gate, w, a] of calls) {
      const next = psi.map((v) => [...v] as C);
      if (gate === 'CX') {
        for (let i = 0; i < dim; i++) if (i & bit(w[0])) next[i ^ bit(w[1])] = psi[i];
      } else {
        const m = specU(a![0], a![1], a![2]);
        const s = bit(w[0]);
        for (let i = 0; i < dim; i++) {
          if (i & s) continue;
          next[i] = add(mul(m[0], psi[i]), mul(m[1], psi[i | s]));
          next[i | s] = add(mul(m[2], psi[i]), mul(m[3], psi[i | s]));
        }
      }
      psi = next;
    }
    cols.push(psi);
  }
  return cols;
}

const cpu = new CpuBackend();

/** qmoe's unitary of one call, column by column. */
async function qmoeUnitary(gate: string, k: number, angles: number[]): Promise<C[][]> {
  const args = angles.length ? `(${angles.join(',')})` : '';
  const qubits = Array.from({ length: k }, (_, i) => `q[${i}]`).join(',');
  const cols: C[][] = [];
  for (let j = 0; j < 2 ** k; j++) {
    const prep = Array.from({ length: k }, (_, i) => ((j >> (k - 1 - i)) & 1 ? `x q[${i}];\n` : '')).join('');
    const c = parseQasm(`OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[${k}];\n${prep}${gate}${args} ${qubits};\n`);
    const psi = await cpu.states(c, { rows: 1 });
    cols.push(Array.from({ length: 2 ** k }, (_, i) => [psi[2 * i], psi[2 * i + 1]] as C));
  }
  return cols;
}

/** Largest |a - e^{i phase} b| over the entries, with the phase taken from the largest entry of b. */
function distanceUpToPhase(a: C[][], b: C[][]): number {
  let best: [number, number] = [0, 0];
  let size = -1;
  b.forEach((col, j) => col.forEach((v, i) => {
    const m = Math.hypot(v[0], v[1]);
    if (m > size) [size, best] = [m, [j, i]];
  }));
  const [j0, i0] = best;
  const ratio = mul(a[j0][i0], [b[j0][i0][0] / size ** 2, -b[j0][i0][1] / size ** 2]);
  let worst = 0;
  a.forEach((col, j) => col.forEach((v, i) => {
    const w = mul(ratio, b[j][i]);
    worst = Math.max(worst, Math.hypot(v[0] - w[0], v[1] - w[1]));
  }));
  return worst;
}

const TOL = 1e-12;

describe('qelib1.inc gates against their definitions in U and CX', () => {
  const rng = mulberry32(2024);
  it.each(Object.keys(QELIB1))('%s', async (gate) => {
    const def = QELIB1[gate];
    // Two draws of random angles for parametric gates, including negative and large ones.
    for (let draw = 0; draw < (def.params ? 2 : 1); draw++) {
      const angles = Array.from({ length: def.params }, () => (rng() * 2 - 1) * 2 * PI);
      const calls: Call[] = [];
      expand([gate, Array.from({ length: def.qubits }, (_, i) => i), angles], calls);
      const want = definitionUnitary(calls, def.qubits);
      const got = await qmoeUnitary(gate, def.qubits, angles);
      expect(distanceUpToPhase(got, want), `${gate}(${angles.join(', ')})`).toBeLessThan(TOL);
    }
  });

  it('covers every gate of the library (and the OpenQASM 3 and built-in aliases run the same gates)', async () => {
    const aliases: [string, string, number][] = [['CX', 'cx', 0], ['U', 'u3', 3], ['phase', 'p', 1], ['cphase', 'cp', 1], ['c3sx', 'c3sqrtx', 0]];
    for (const [alias, gate, params] of aliases) {
      const angles = Array.from({ length: params }, () => rng() * 4 - 2);
      expect(distanceUpToPhase(await qmoeUnitary(alias, QELIB1[gate].qubits, angles), await qmoeUnitary(gate, QELIB1[gate].qubits, angles)), alias).toBeLessThan(TOL);
    }
    // The list of qelib1 gates.
    const listed = 'u3 u2 u1 cx id u0 u p x y z h s sdg t tdg rx ry rz sx sxdg cz cy swap ch ccx cswap crx cry crz cu1 cp cu3 csx cu rxx rzz rccx rc3x c3x c3sqrtx c4x';
    expect(Object.keys(QELIB1).sort()).toEqual(listed.split(' ').sort());
  });

  it('lowers each gate to few ops (u3 to three, rzz to three diagonal ones, ccx to one)', () => {
    const ops = (src: string) => parseQasmProgram(`OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[5];\n${src}`).circuit.ops.map((o) => o.gate);
    expect(ops('u3(1,2,3) q[0];')).toEqual(['p', 'ry', 'p']);
    expect(ops('rzz(1) q[0],q[1];')).toEqual(['p', 'p', 'cp']);
    expect(ops('ccx q[0],q[1],q[2];')).toEqual(['ccx']);
    expect(ops('c4x q[0],q[1],q[2],q[3],q[4];')).toEqual(['c4x']);
    expect(ops('cswap q[0],q[1],q[2];')).toEqual(['cnot', 'ccx', 'cnot']);
  });
});
