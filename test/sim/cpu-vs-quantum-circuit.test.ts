/**
 * The float64 CPU reference against an independent simulator, the npm package `quantum-circuit`
 * (a devDependency; conventions in test/helpers/quantum-circuit.ts). Both run the same random
 * OpenQASM 2 programs.
 *
 * quantum-circuit's rx, ry, rz are exp(-i a P / 2) (rz = diag(e^{-ia/2}, e^{ia/2}), not u1),
 * s = diag(1, i), t = diag(1, e^{i pi/4}), y = [[0, -i], [i, 0]], crx/cry/crz apply exactly those
 * rotations to the target when the control (first argument) is 1, and its u1, cu1, sx, ch, ... the
 * matrices of qelib1 — the same matrices as qmoe's gates.ts. So amplitudes agree exactly, not only
 * up to a global phase; the test compares them directly (stricter than comparing up to phase, and
 * it would catch an rz-vs-u1 or crz-vs-cu1 mix-up).
 */
import { describe, expect, it } from 'vitest';
import { GATES } from '../../src/circuit/gates.js';
import { parseQasm, toQasm } from '../../src/circuit/qasm.js';
import type { GateName } from '../../src/circuit/types.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { referenceState } from '../helpers/quantum-circuit.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';

const TOL = 1e-9;
const CIRCUITS = 40;
/** Gates of the model whose qelib1 names quantum-circuit knows (it lacks c3x, c4x and c3sqrtx). */
const KNOWN: GateName[] = (Object.keys(GATES) as GateName[]).filter((g) => !['c3x', 'c4x', 'c3sqrtx'].includes(g));

describe('CPU reference vs quantum-circuit', () => {
  it(`agrees on ${CIRCUITS} random OpenQASM circuits (probabilities and amplitudes within ${TOL})`, async () => {
    const cpu = new CpuBackend();
    const rng = mulberry32(20240601);
    const seen = new Set<GateName>();
    for (let t = 0; t < CIRCUITS; t++) {
      const n = 1 + (t % 6); // every size 1..6 appears
      const generated = randomCircuit(rng, { qubits: n, gates: 1 + Math.floor(rng() * 25), gateSet: KNOWN });
      const qasm = toQasm(generated);
      // The CPU side runs our parse of the text, so the importer is checked too.
      const circuit = parseQasm(qasm);
      circuit.ops.forEach((o) => seen.add(o.gate));

      const ref = referenceState(qasm, n);
      const psi = await cpu.states(circuit, { rows: 1 });
      const probs = await cpu.probabilities(circuit, { rows: 1 });
      for (let k = 0; k < 2 ** n; k++) {
        const where = `circuit ${t}, basis ${k}\n${qasm}`;
        const refP = ref[2 * k] ** 2 + ref[2 * k + 1] ** 2;
        expect(Math.abs(probs[k] - refP), where).toBeLessThanOrEqual(TOL);
        expect(Math.abs(psi[2 * k] - ref[2 * k]), where).toBeLessThanOrEqual(TOL);
        expect(Math.abs(psi[2 * k + 1] - ref[2 * k + 1]), where).toBeLessThanOrEqual(TOL);
      }
    }
    // The draw must have exercised every gate quantum-circuit knows.
    expect([...seen].sort()).toEqual([...KNOWN].sort());
  });
});
