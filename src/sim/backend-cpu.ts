import type { Circuit } from '../circuit/types.js';
import { validateCircuit } from '../circuit/validate.js';
import { checkFiniteResult, checkInt } from '../errors.js';
import type { Backend, BatchInput, CircuitOutput, GradientOptions, GradientResult } from './backend.js';
import { adjointGradient } from './adjoint-cpu.js';
import { foldExperts, foldOutputs, outputCount, validateOutput } from './experts.js';
import { validateInput } from './input.js';
import { simulateRow } from './statevector-cpu.js';

/** Most qubits the CPU reference simulates (a 2^26 state is 1 GiB of float64 pairs). */
export const CPU_MAX_QUBITS = 26;

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
    checkFiniteResult('the state vectors', out, dim * 2);
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
    checkFiniteResult('the probabilities', out, dim);
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
    const result = adjointGradient(circuit, input, output, dLdOut, options.features === true);
    checkFiniteGradient(result, circuit.features);
    return result;
  }

  dispose(): void {}
}

/** Throws a QmoeNumericError for a NaN or infinity in a gradient (inputs whose products overflow). */
export function checkFiniteGradient(g: GradientResult, features: number): void {
  checkFiniteResult('the gradient with respect to params', g.params);
  if (g.features) checkFiniteResult('the gradient with respect to features', g.features, features);
}
