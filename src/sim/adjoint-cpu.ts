import { derivativeMatrix, targetMatrix, type Matrix2 } from '../circuit/gates.js';
import type { Circuit } from '../circuit/types.js';
import { QmoeInputError } from '../errors.js';
import type { BatchInput, CircuitOutput } from './backend.js';
import { expertBounds, outputCount } from './experts.js';
import { applyMatrix, applySwap, gateAction, simulateRow } from './statevector-cpu.js';

/** dU/dangle of a gate's target matrix (src/circuit/gates.ts), re-exported for the adjoint hosts. */
export { derivativeMatrix };

/** The conjugate transpose of a 2x2 complex matrix. */
export function adjointMatrix(m: Matrix2): Matrix2 {
  return [m[0], -m[1], m[4], -m[5], m[2], -m[3], m[6], -m[7]];
}

/** Checks an upstream gradient: rows x outputs finite numbers. */
export function validateUpstream(dLdOut: ArrayLike<number>, rows: number, outputs: number): void {
  const want = rows * outputs;
  if (!dLdOut || typeof dLdOut.length !== 'number' || dLdOut.length !== want) {
    throw new QmoeInputError('dLdOut.length', dLdOut?.length, `must equal rows (${rows}) x outputs (${outputs}) = ${want}`);
  }
  for (let i = 0; i < want; i++) {
    if (!Number.isFinite(dLdOut[i])) {
      throw new QmoeInputError(`dLdOut[row ${Math.floor(i / outputs)}, output ${i % outputs}]`, dLdOut[i], 'must be a finite number');
    }
  }
}

/**
 * dL/dp_k of one row from its upstream gradient dL/dout (`up`, outputs long), into `w` (2^n long):
 * probabilities: identity; experts: dL/dP_e(k); expectZ: sum_i dL/d<Z_i> (1 - 2 bit_i(k)).
 */
export function probabilityGradient(qubits: number, output: CircuitOutput, up: ArrayLike<number>, offset: number, w: Float64Array): void {
  const dim = 2 ** qubits;
  if (output.kind === 'probabilities') {
    for (let k = 0; k < dim; k++) w[k] = up[offset + k];
  } else if (output.kind === 'experts') {
    const bounds = expertBounds(dim, output.experts);
    for (let e = 0; e < output.experts; e++) for (let k = bounds[e]; k < bounds[e + 1]; k++) w[k] = up[offset + e];
  } else {
    for (let k = 0; k < dim; k++) {
      let acc = 0;
      for (let i = 0; i < qubits; i++) acc += ((k >> (qubits - 1 - i)) & 1) === 0 ? up[offset + i] : -up[offset + i];
      w[k] = acc;
    }
  }
}

/** Scratch of adjointRow for an n-qubit circuit (reuse across rows). */
export interface AdjointScratch {
  psi: Float64Array;
  lambda: Float64Array;
  w: Float64Array;
}

export function adjointScratch(qubits: number): AdjointScratch {
  const dim = 2 ** qubits;
  return { psi: new Float64Array(2 * dim), lambda: new Float64Array(2 * dim), w: new Float64Array(dim) };
}

/** Re <lambda| D |psi> over the pairs (i, i | stride) whose control bits are set. */
function derivativeProduct(lambda: Float64Array, psi: Float64Array, dim: number, stride: number, controlMask: number, d: Matrix2): number {
  let acc = 0;
  for (let i = 0; i < dim; i++) {
    if ((i & stride) !== 0 || (i & controlMask) !== controlMask) continue;
    const j = i | stride;
    const ar = psi[2 * i], ai = psi[2 * i + 1], br = psi[2 * j], bi = psi[2 * j + 1];
    const xr = d[0] * ar - d[1] * ai + d[2] * br - d[3] * bi;
    const xi = d[0] * ai + d[1] * ar + d[2] * bi + d[3] * br;
    const yr = d[4] * ar - d[5] * ai + d[6] * br - d[7] * bi;
    const yi = d[4] * ai + d[5] * ar + d[6] * bi + d[7] * br;
    // Re(conj(l) x) = lr xr + li xi
    acc += lambda[2 * i] * xr + lambda[2 * i + 1] * xi + lambda[2 * j] * yr + lambda[2 * j + 1] * yi;
  }
  return acc;
}

/**
 * The adjoint sweep of one row (float64). `w` holds dL/dp_k. Adds dL/dparams into `paramGrad`
 * and, when given, dL/dfeatures of this row into `featureGrad` (circuit.features long, at `featureOffset`).
 */
export function adjointRow(
  circuit: Circuit,
  input: BatchInput,
  row: number,
  scratch: AdjointScratch,
  paramGrad: Float64Array,
  featureGrad?: Float64Array,
  featureOffset = 0,
): void {
  const n = circuit.qubits;
  const dim = 2 ** n;
  const { psi, lambda, w } = scratch;
  simulateRow(circuit, input, row, psi);
  for (let k = 0; k < dim; k++) {
    lambda[2 * k] = 2 * w[k] * psi[2 * k];
    lambda[2 * k + 1] = 2 * w[k] * psi[2 * k + 1];
  }
  for (let g = circuit.ops.length - 1; g >= 0; g--) {
    const op = circuit.ops[g];
    const act = gateAction(op, n, input, circuit.features, row);
    if ('swap' in act) {
      applySwap(psi, dim, act.swap[0], act.swap[1]);
      applySwap(lambda, dim, act.swap[0], act.swap[1]);
      continue;
    }
    const inv = adjointMatrix(act.matrix);
    applyMatrix(psi, dim, act.target, act.mask, inv);
    const a = op.angle;
    if (a && (a.kind === 'param' || (a.kind === 'feature' && featureGrad))) {
      const v = derivativeProduct(lambda, psi, dim, act.target, act.mask, derivativeMatrix(op.gate, act.angle));
      if (a.kind === 'param') paramGrad[a.index] += v;
      else featureGrad![featureOffset + a.index] += v;
    }
    applyMatrix(lambda, dim, act.target, act.mask, inv);
  }
}

/**
 * Gradient of L = sum_{r,o} dLdOut[r, o] out[r, o] by the adjoint method, in float64.
 * Inputs must be validated by the caller.
 */
export function adjointGradient(
  circuit: Circuit,
  input: BatchInput,
  output: CircuitOutput,
  dLdOut: ArrayLike<number>,
  withFeatures: boolean,
): { params: Float64Array; features?: Float64Array } {
  const outputs = outputCount(circuit.qubits, output);
  validateUpstream(dLdOut, input.rows, outputs);
  const params = new Float64Array(circuit.params);
  const features = withFeatures ? new Float64Array(input.rows * circuit.features) : undefined;
  const scratch = adjointScratch(circuit.qubits);
  for (let r = 0; r < input.rows; r++) {
    probabilityGradient(circuit.qubits, output, dLdOut, r * outputs, scratch.w);
    adjointRow(circuit, input, r, scratch, params, features, r * circuit.features);
  }
  return features ? { params, features } : { params };
}
