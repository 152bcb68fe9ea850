/**
 * The npm simulator `quantum-circuit` (a devDependency) as an independent reference.
 *
 * Conventions, checked against its README gate table and by experiment:
 * - Basis index: qubit 0 is the LEAST significant bit (Qiskit order); qmoe puts qubit 0 at the
 *   MOST significant bit, so qmoe index k corresponds to its index reverseBits(k, n).
 * - `state` is a sparse map {decimal index: {re, im}} with zeros left out, at full precision
 *   (stateAsArray() rounds amplitudes to 14 digits, so it is not used).
 * - It sizes the circuit to the highest wire a gate uses, not to the qreg; the missing top qubits
 *   stay |0>, so the indices of its state still map as above.
 * - An unknown gate name is not an import error: it prints "Unknown gate" and skips the gate, so
 *   the console is watched and such a message fails the test.
 * - Its QASM importer does not broadcast a single qubit against a register (`cx a[0], b` is
 *   dropped) and broadcasts registers by the first one's size: callers pass programs with every
 *   argument indexed.
 */
import QuantumCircuit from 'quantum-circuit';
import { expect } from 'vitest';

function reverseBits(k: number, n: number): number {
  let r = 0;
  for (let b = 0; b < n; b++) r |= ((k >> b) & 1) << (n - 1 - b);
  return r;
}

/** Amplitudes from quantum-circuit, as interleaved (re, im) in qmoe's basis order. */
export function referenceState(qasm: string, n: number): Float64Array {
  const qc = new QuantumCircuit();
  const said: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => said.push(a.join(' '));
  console.error = (...a: unknown[]) => said.push(a.join(' '));
  try {
    qc.importQASM(qasm, (errors) => {
      if (errors.length) throw new Error(`quantum-circuit rejected the program: ${JSON.stringify(errors)}\n${qasm}`);
    });
  } finally {
    console.log = log;
    console.error = error;
  }
  if (said.length) throw new Error(`quantum-circuit said ${JSON.stringify(said)} about\n${qasm}`);
  qc.run();
  expect(qc.numQubits).toBeLessThanOrEqual(n);
  const out = new Float64Array(2 * 2 ** n);
  for (const [key, amp] of Object.entries(qc.state)) {
    const k = reverseBits(Number(key), n);
    out[2 * k] = amp.re;
    out[2 * k + 1] = amp.im;
  }
  return out;
}

/** Largest |a_k - e^{i phi} b_k| over two interleaved amplitude vectors, phi fitted at b's largest entry. */
export function distanceUpToPhase(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let at = 0;
  for (let k = 0; k < b.length / 2; k++) if (b[2 * k] ** 2 + b[2 * k + 1] ** 2 > b[2 * at] ** 2 + b[2 * at + 1] ** 2) at = k;
  const m = b[2 * at] ** 2 + b[2 * at + 1] ** 2;
  // e^{i phi} = a_at conj(b_at) / |b_at|^2
  const pr = (a[2 * at] * b[2 * at] + a[2 * at + 1] * b[2 * at + 1]) / m;
  const pi = (a[2 * at + 1] * b[2 * at] - a[2 * at] * b[2 * at + 1]) / m;
  let worst = 0;
  for (let k = 0; k < b.length / 2; k++) {
    const wr = pr * b[2 * k] - pi * b[2 * k + 1];
    const wi = pr * b[2 * k + 1] + pi * b[2 * k];
    worst = Math.max(worst, Math.hypot(a[2 * k] - wr, a[2 * k + 1] - wi));
  }
  return worst;
}
