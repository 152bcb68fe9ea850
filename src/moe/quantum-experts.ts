import { angleEmbedding } from '../circuit/builders.js';
import type { Circuit, Op } from '../circuit/types.js';
import { QmoeInputError } from '../errors.js';
import type { Backend } from '../sim/backend.js';
import type { ModelSpec } from './spec.js';

/**
 * Quantum experts (--experts-kind quantum). Expert e is a circuit on Q = spec.expertQubits qubits:
 * RY(x_i) on qubit i (i < features), then L = spec.expertLayers layers of RY(theta_e[l Q + i]) on
 * every qubit and CZ(i, i + 1) (the study's router form), with spec.expertReupload the embedding
 * again before every layer; its readout <Z_0..Z_{Q-1}> goes to class logits through the expert's
 * own linear map: logits_e = A_e <Z> + a_e (A_e: classes x Q).
 *
 * Every expert of every sample is one row of ONE batch: the circuit takes the expert's angles as
 * input columns after the features (row = [x_r, theta_e]), so a single evaluate() / gradient()
 * call on any Backend (CPU, fast CPU, WebGPU) runs them all, the expert index being one more batch
 * dimension; the angles' gradients are the input-column gradients of the adjoint pass, summed over
 * each expert's rows. Only the (sample, expert) pairs the gate keeps are rows (sparse routing).
 *
 * Parameters of expert e in the experts block: theta_e (L Q angles), then A_e row-major, then a_e.
 */

/** Circuit angles of one quantum expert. */
export function expertAngleCount(spec: ModelSpec): number {
  return (spec.expertLayers ?? 0) * (spec.expertQubits ?? 0);
}

/** Parameters of one expert: linear C (F + 1); quantum L Q angles + C (Q + 1) readout. */
export function expertParamCount(spec: ModelSpec): number {
  if (spec.expertsKind !== 'quantum') return spec.classes * (spec.features + 1);
  return expertAngleCount(spec) + spec.classes * (spec.expertQubits! + 1);
}

/** One quantum expert's circuit; its inputs are [features..., angles...] and it has no shared params. */
export function expertCircuit(spec: ModelSpec): Circuit {
  const Q = spec.expertQubits!;
  const L = spec.expertLayers!;
  const F = spec.features;
  const ops: Op[] = [...angleEmbedding(F)];
  for (let l = 0; l < L; l++) {
    if (l > 0 && spec.expertReupload) ops.push(...angleEmbedding(F));
    for (let i = 0; i < Q; i++) ops.push({ gate: 'ry', wires: [i], angle: { kind: 'feature', index: F + l * Q + i } });
    for (let i = 0; i + 1 < Q; i++) ops.push({ gate: 'cz', wires: [i, i + 1] });
  }
  return { qubits: Q, features: F + L * Q, params: 0, ops };
}

/** Which (sample, expert) pairs run: row-major pairs[2k] = sample, pairs[2k + 1] = expert. */
export type ExpertPairs = Int32Array;

/** What the forward pass keeps for the backward pass. */
export interface QuantumExpertCache {
  pairs: ExpertPairs;
  /** The circuit's input rows [x_r, theta_e] per pair. */
  inputs: Float64Array;
  /** <Z> per pair: pairs x Q. */
  z: Float64Array;
}

/** Runs the quantum experts of `pairs` as one batch; returns logits per pair (pairs x classes). */
export async function quantumExpertsForward(
  backend: Backend, circuit: Circuit, spec: ModelSpec, params: Float64Array, expertsOffset: number, x: Float64Array, pairs: ExpertPairs,
): Promise<{ logits: Float64Array; cache: QuantumExpertCache }> {
  const { features: F, classes: C } = spec;
  const Q = spec.expertQubits!;
  const A = expertAngleCount(spec);
  const per = expertParamCount(spec);
  const n = pairs.length / 2;
  const W = circuit.features;
  const inputs = new Float64Array(n * W);
  for (let k = 0; k < n; k++) {
    const r = pairs[2 * k], e = pairs[2 * k + 1];
    for (let i = 0; i < F; i++) inputs[k * W + i] = x[r * F + i];
    const base = expertsOffset + e * per;
    for (let j = 0; j < A; j++) inputs[k * W + F + j] = params[base + j];
  }
  const z = n > 0 ? Float64Array.from(await backend.evaluate(circuit, { rows: n, features: inputs }, { kind: 'expectZ' })) : new Float64Array(0);
  const logits = new Float64Array(n * C);
  for (let k = 0; k < n; k++) {
    const base = expertsOffset + pairs[2 * k + 1] * per + A;
    for (let c = 0; c < C; c++) {
      let s = params[base + C * Q + c];
      for (let q = 0; q < Q; q++) s += params[base + c * Q + q] * z[k * Q + q];
      logits[k * C + c] = s;
    }
  }
  return { logits, cache: { pairs, inputs, z } };
}

/** Adds d loss / d(expert parameters) into grad, given d loss / d logits per pair (pairs x classes). */
export async function quantumExpertsBackward(
  backend: Backend, circuit: Circuit, spec: ModelSpec, params: Float64Array, expertsOffset: number, cache: QuantumExpertCache, dLogits: Float64Array, grad: Float64Array,
): Promise<void> {
  const { features: F, classes: C } = spec;
  const Q = spec.expertQubits!;
  const A = expertAngleCount(spec);
  const per = expertParamCount(spec);
  const { pairs, z, inputs } = cache;
  const n = pairs.length / 2;
  if (n === 0) return;
  const dz = new Float64Array(n * Q);
  for (let k = 0; k < n; k++) {
    const base = expertsOffset + pairs[2 * k + 1] * per + A;
    for (let c = 0; c < C; c++) {
      const d = dLogits[k * C + c];
      if (d === 0) continue;
      grad[base + C * Q + c] += d;
      for (let q = 0; q < Q; q++) {
        grad[base + c * Q + q] += d * z[k * Q + q];
        dz[k * Q + q] += d * params[base + c * Q + q];
      }
    }
  }
  const g = await backend.gradient(circuit, { rows: n, features: inputs }, { kind: 'expectZ' }, dz, { features: true });
  if (!g.features) throw new QmoeInputError('--experts-kind', 'quantum', `needs input-column gradients, which this circuit backend (${backend.kind}) does not give (noise-aware training has none: drop --gate-noise or use linear experts)`);
  const W = circuit.features;
  for (let k = 0; k < n; k++) {
    const base = expertsOffset + pairs[2 * k + 1] * per;
    for (let j = 0; j < A; j++) grad[base + j] += g.features[k * W + F + j];
  }
}
