import { QmoeInputError, checkInt } from '../errors.js';
import type { CircuitOutput } from './backend.js';

/**
 * Block boundaries that map 2^n outcomes onto `experts` experts: expert e owns the basis indices
 * [bounds[e], bounds[e+1]). Blocks are as equal as possible and never empty.
 */
export function expertBounds(dim: number, experts: number): Uint32Array {
  checkInt('experts', experts, 1, dim);
  const bounds = new Uint32Array(experts + 1);
  for (let e = 0; e <= experts; e++) bounds[e] = Math.floor((e * dim) / experts);
  return bounds;
}

/** Sums each row's `dim` probabilities into its expert blocks. */
export function foldExperts(probs: ArrayLike<number>, rows: number, dim: number, experts: number): Float64Array {
  const bounds = expertBounds(dim, experts);
  const out = new Float64Array(rows * experts);
  for (let r = 0; r < rows; r++) {
    for (let e = 0; e < experts; e++) {
      let acc = 0;
      for (let k = bounds[e]; k < bounds[e + 1]; k++) acc += probs[r * dim + k];
      out[r * experts + e] = acc;
    }
  }
  return out;
}

/** Number of outputs per row of a circuit output. */
export function outputCount(qubits: number, output: { kind: 'probabilities' } | { kind: 'experts'; experts: number } | { kind: 'expectZ' }): number {
  if (output.kind === 'experts') return output.experts;
  if (output.kind === 'expectZ') return qubits;
  return 2 ** qubits;
}

/** Throws a QmoeInputError unless `output` is a circuit output an n-qubit circuit can give. */
export function validateOutput(qubits: number, output: { kind: string; experts?: number }): void {
  if (typeof output !== 'object' || output === null) throw new QmoeInputError('output', output, "must be { kind: 'probabilities' | 'experts' | 'expectZ' }");
  if (output.kind === 'experts') {
    checkInt('output.experts', output.experts, 1, 2 ** qubits);
    return;
  }
  if (output.kind !== 'probabilities' && output.kind !== 'expectZ') {
    throw new QmoeInputError('output.kind', output.kind, "must be 'probabilities', 'experts' or 'expectZ'");
  }
}

/** Folds one row of probabilities (`probs` at `offset`, 2^n long) into the outputs of `output`. */
export function foldOutputs(qubits: number, output: CircuitOutput, probs: ArrayLike<number>, offset: number, out: Float64Array, outOffset: number): void {
  const dim = 2 ** qubits;
  if (output.kind === 'probabilities') {
    for (let k = 0; k < dim; k++) out[outOffset + k] = probs[offset + k];
  } else if (output.kind === 'experts') {
    const bounds = expertBounds(dim, output.experts);
    for (let e = 0; e < output.experts; e++) {
      let acc = 0;
      for (let k = bounds[e]; k < bounds[e + 1]; k++) acc += probs[offset + k];
      out[outOffset + e] = acc;
    }
  } else {
    for (let i = 0; i < qubits; i++) out[outOffset + i] = 0;
    for (let k = 0; k < dim; k++) {
      const p = probs[offset + k];
      for (let i = 0; i < qubits; i++) out[outOffset + i] += ((k >> (qubits - 1 - i)) & 1) === 0 ? p : -p;
    }
  }
}
