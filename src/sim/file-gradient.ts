import type { QasmProgram } from '../circuit/qasm/program.js';
import { parameterGradient } from '../circuit/qasm/program.js';
import type { Circuit, Op } from '../circuit/types.js';
import { QmoeInputError } from '../errors.js';
import type { Backend, CircuitOutput } from './backend.js';

/**
 * The circuit with every constant angle turned into a trainable parameter of its own, numbered in
 * the order of the ops, the parameter values, and per op its parameter (-1 for ops without one).
 */
export function constantsToParams(circuit: Circuit): { circuit: Circuit; params: number[]; opParam: Int32Array } {
  const params: number[] = [];
  const opParam = new Int32Array(circuit.ops.length).fill(-1);
  const ops = circuit.ops.map((op, g): Op => {
    if (op.angle?.kind !== 'const') return op;
    opParam[g] = params.length;
    params.push(op.angle.value);
    return { ...op, angle: { kind: 'param', index: params.length - 1 } };
  });
  return { circuit: { ...circuit, ops, params: params.length }, params, opParam };
}

// One conversion per program: repeated gradients of a file (the noise-aware estimates of qmoe grad
// --noise) then pass the same circuit, so a backend's prepared runners for it are kept.
const conversions = new WeakMap<QasmProgram, ReturnType<typeof constantsToParams>>();
function converted(program: QasmProgram): ReturnType<typeof constantsToParams> {
  let c = conversions.get(program);
  if (!c) {
    c = constantsToParams(program.circuit);
    conversions.set(program, c);
  }
  return c;
}

/**
 * Gradient of L = sum_o dLdOut[o] out[o] (one row: the program run once) with respect to the
 * file's angle arguments, program.parameters, on any backend: the adjoint method gives dL/d(angle
 * of each op) (each op's angle made a parameter of its own), and the chain rule through the
 * program's Jacobian of op angles gives dL/d(file angles) (u3's three angles, the argument of rzz
 * that three ops share, sin(theta) in a user gate, ...). The program must be unitary
 * (program.dynamic null).
 */
export async function fileAngleGradient(backend: Backend, program: QasmProgram, output: CircuitOutput, dLdOut: ArrayLike<number>): Promise<Float64Array> {
  if (program.dynamic) {
    const d = program.dynamic;
    throw new QmoeInputError(`qasm line ${d.line}`, d.reason, 'gradients are of the final probabilities of a unitary circuit; this one measures, resets or branches in the middle');
  }
  const { circuit, params, opParam } = converted(program);
  const g = await backend.gradient(circuit, { rows: 1, params }, output, dLdOut);
  const opGradient = Float64Array.from(opParam, (k) => (k < 0 ? 0 : g.params[k]));
  const gradient = parameterGradient(program, opGradient);
  gradient.forEach((v, i) => {
    const p = program.parameters[i];
    if (!Number.isFinite(v)) throw new QmoeInputError(`qasm line ${p.line}`, `${p.gate} ${p.name}`, 'the angle expressions are not differentiable at this value (e.g. x^y with x <= 0, sqrt or ln at 0)');
  });
  return gradient;
}
