/**
 * The float64 CPU reference against an independent simulator, the npm package `quantum-circuit`
 * (a devDependency). Both run the same random OpenQASM 2 programs.
 *
 * quantum-circuit conventions, checked against its README gate table and by experiment:
 * - Basis index: qubit 0 is the LEAST significant bit (Qiskit order); qmoe puts qubit 0 at the
 *   MOST significant bit, so qmoe index k corresponds to its index reverseBits(k, n).
 * - `state` is a sparse map {decimal index: {re, im}} with zeros left out, at full precision
 *   (stateAsArray() rounds amplitudes to 14 digits, so it is not used).
 * - rx, ry, rz are exp(-i a P / 2) (rz = diag(e^{-ia/2}, e^{ia/2}), not u1), s = diag(1, i),
 *   t = diag(1, e^{i pi/4}), y = [[0, -i], [i, 0]], and crx/cry/crz apply exactly those rotations
 *   to the target when the control (first argument) is 1 — the same matrices as qmoe's gates.ts.
 *   So amplitudes agree exactly, not only up to a global phase; the test compares them directly
 *   (stricter than comparing up to phase, and it would catch an rz-vs-u1 or crz-vs-cu1 mix-up).
 */
import QuantumCircuit from 'quantum-circuit';
import { describe, expect, it } from 'vitest';
import { GATES } from '../../src/circuit/gates.js';
import { parseQasm, toQasm } from '../../src/circuit/qasm.js';
import type { GateName } from '../../src/circuit/types.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { mulberry32, randomCircuit } from '../helpers/random.js';

const TOL = 1e-9;
const CIRCUITS = 40;

function reverseBits(k: number, n: number): number {
  let r = 0;
  for (let b = 0; b < n; b++) r |= ((k >> b) & 1) << (n - 1 - b);
  return r;
}

/** Amplitudes from quantum-circuit, as interleaved (re, im) in qmoe's basis order. */
function referenceState(qasm: string, n: number): Float64Array {
  const qc = new QuantumCircuit();
  qc.importQASM(qasm, (errors) => {
    if (errors.length) throw new Error(`quantum-circuit rejected the program: ${JSON.stringify(errors)}`);
  });
  qc.run();
  // It sizes the circuit to the highest wire a gate uses, not to the qreg; the missing top
  // qubits stay |0>, so the indices of its state still map as below.
  expect(qc.numQubits).toBeLessThanOrEqual(n);
  const out = new Float64Array(2 * 2 ** n);
  for (const [key, amp] of Object.entries(qc.state)) {
    const k = reverseBits(Number(key), n);
    out[2 * k] = amp.re;
    out[2 * k + 1] = amp.im;
  }
  return out;
}

describe('CPU reference vs quantum-circuit', () => {
  it(`agrees on ${CIRCUITS} random OpenQASM circuits (probabilities and amplitudes within ${TOL})`, async () => {
    const cpu = new CpuBackend();
    const rng = mulberry32(20240601);
    const seen = new Set<GateName>();
    for (let t = 0; t < CIRCUITS; t++) {
      const n = 1 + (t % 6); // every size 1..6 appears
      const generated = randomCircuit(rng, { qubits: n, gates: 1 + Math.floor(rng() * 25) });
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
    // The draw must have exercised every gate of the model.
    expect([...seen].sort()).toEqual(Object.keys(GATES).sort());
  });
});
