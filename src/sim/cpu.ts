import { controlMask, targetMatrix, targetWire, type Matrix2 } from '../circuit/gates.js';
import type { Circuit } from '../circuit/types.js';
import { validateCircuit } from '../circuit/validate.js';
import { checkInt } from '../errors.js';
import type { Backend, BatchInput, CircuitOutput, GradientOptions, GradientResult } from './backend.js';
import { adjointGradient, foldOutputs } from './adjoint-cpu.js';
import { foldExperts, outputCount, validateOutput } from './experts.js';
import { resolveAngle, validateInput } from './input.js';

/** Most qubits the CPU reference simulates (a 2^26 state is 1 GiB of float64 pairs). */
export const CPU_MAX_QUBITS = 26;

/** Applies a single-qubit matrix to the bit with value `stride`, only where `controlMask` bits are set. */
export function applyMatrix(psi: Float64Array, dim: number, stride: number, controlMask: number, m: Matrix2): void {
  for (let i = 0; i < dim; i++) {
    if ((i & stride) !== 0 || (i & controlMask) !== controlMask) continue;
    const j = i | stride;
    const ar = psi[2 * i], ai = psi[2 * i + 1], br = psi[2 * j], bi = psi[2 * j + 1];
    psi[2 * i] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi;
    psi[2 * i + 1] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br;
    psi[2 * j] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi;
    psi[2 * j + 1] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br;
  }
}

/** Swaps the amplitudes of the bits `sa` and `sb`. */
export function applySwap(psi: Float64Array, dim: number, sa: number, sb: number): void {
  for (let i = 0; i < dim; i++) {
    if ((i & sa) !== 0 || (i & sb) === 0) continue;
    const j = i ^ sa ^ sb;
    const r = psi[2 * i], im = psi[2 * i + 1];
    psi[2 * i] = psi[2 * j];
    psi[2 * i + 1] = psi[2 * j + 1];
    psi[2 * j] = r;
    psi[2 * j + 1] = im;
  }
}

/** Runs `circuit` on |0...0> for input row `row` and writes the state into `psi` (2 * 2^n doubles). */
export function simulateRow(circuit: Circuit, input: BatchInput, row: number, psi: Float64Array): void {
  const n = circuit.qubits;
  const dim = 2 ** n;
  psi.fill(0);
  psi[0] = 1;
  for (const op of circuit.ops) {
    const bit = (q: number) => 2 ** (n - 1 - q);
    if (op.gate === 'swap') {
      applySwap(psi, dim, bit(op.wires[0]), bit(op.wires[1]));
      continue;
    }
    const angle = op.angle ? resolveAngle(op.angle, input, circuit.features, row) : 0;
    applyMatrix(psi, dim, bit(targetWire(op)), controlMask(op, n), targetMatrix(op.gate, angle));
  }
}

/** The float64 reference backend: simple loops, the oracle for every GPU test. */
export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;

  private check(circuit: Circuit, input: BatchInput): void {
    validateCircuit(circuit);
    checkInt('circuit.qubits', circuit.qubits, 1, CPU_MAX_QUBITS);
    validateInput(circuit, input);
  }

  async states(circuit: Circuit, input: BatchInput): Promise<Float64Array> {
    this.check(circuit, input);
    const dim = 2 ** circuit.qubits;
    const out = new Float64Array(input.rows * dim * 2);
    for (let r = 0; r < input.rows; r++) simulateRow(circuit, input, r, out.subarray(r * dim * 2, (r + 1) * dim * 2));
    return out;
  }

  async probabilities(circuit: Circuit, input: BatchInput): Promise<Float64Array> {
    this.check(circuit, input);
    const dim = 2 ** circuit.qubits;
    const psi = new Float64Array(dim * 2);
    const out = new Float64Array(input.rows * dim);
    for (let r = 0; r < input.rows; r++) {
      simulateRow(circuit, input, r, psi);
      for (let k = 0; k < dim; k++) out[r * dim + k] = psi[2 * k] ** 2 + psi[2 * k + 1] ** 2;
    }
    return out;
  }

  async expertProbabilities(circuit: Circuit, input: BatchInput, experts: number): Promise<Float64Array> {
    validateCircuit(circuit);
    checkInt('experts', experts, 1, 2 ** circuit.qubits);
    const probs = await this.probabilities(circuit, input);
    return foldExperts(probs, input.rows, 2 ** circuit.qubits, experts);
  }

  async evaluate(circuit: Circuit, input: BatchInput, output: CircuitOutput): Promise<Float64Array> {
    validateCircuit(circuit);
    validateOutput(circuit.qubits, output);
    const probs = await this.probabilities(circuit, input);
    if (output.kind === 'probabilities') return probs;
    const dim = 2 ** circuit.qubits;
    const outputs = outputCount(circuit.qubits, output);
    const out = new Float64Array(input.rows * outputs);
    for (let r = 0; r < input.rows; r++) foldOutputs(circuit.qubits, output, probs, r * dim, out, r * outputs);
    return out;
  }

  /** Adjoint-method gradient in float64 (see Backend.gradient). */
  async gradient(circuit: Circuit, input: BatchInput, output: CircuitOutput, dLdOut: ArrayLike<number>, options: GradientOptions = {}): Promise<GradientResult> {
    this.check(circuit, input);
    validateOutput(circuit.qubits, output);
    return adjointGradient(circuit, input, output, dLdOut, options.features === true);
  }

  dispose(): void {}
}
