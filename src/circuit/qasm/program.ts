import type { Circuit } from '../types.js';

/** One angle argument of a gate application in the file: a parameter of `qmoe grad`. */
export interface QasmParameter {
  /** The gate as the file calls it (u3, rzz, a user gate, ...). */
  gate: string;
  /** The qubits of that application (after broadcasting). */
  qubits: readonly number[];
  /** Position among the gate's angle arguments. */
  argument: number;
  /** The name of the parameter in the gate's definition (theta, phi, ...). */
  name: string;
  line: number;
  value: number;
}

/** `if (creg == value)`: the creg's bits `offset .. offset + size - 1` (bit 0 least significant). */
export interface QasmCondition {
  creg: string;
  offset: number;
  size: number;
  value: number;
}

/** One step of a program in execution order. */
export type QasmStep =
  /** circuit.ops[start .. end - 1]. */
  | { kind: 'gates'; start: number; end: number; condition?: QasmCondition }
  | { kind: 'measure'; qubit: number; clbit: number; condition?: QasmCondition }
  | { kind: 'reset'; qubit: number; condition?: QasmCondition };

export interface QasmRegister {
  name: string;
  offset: number;
  size: number;
}

/**
 * An OpenQASM program as the parser read it: its unitary gates lowered to the model's gates, and
 * what `qmoe grad`, the noise model and shot simulation need beyond the circuit.
 */
export interface QasmProgram {
  version: 2 | 3;
  /** Every gate application in file order (also the conditional ones), constant angles. */
  circuit: Circuit;
  /** The file's angle arguments in file order (one per argument of each application). */
  parameters: QasmParameter[];
  /**
   * d(angle of op g) / d(parameter): for op g the entries start[g] .. start[g + 1] - 1 of `param`
   * and `coef` (ops without an angle, or whose angle is constant, have none).
   */
  jacobian: { start: Uint32Array; param: Uint32Array; coef: Float64Array };
  /** The number of ops each gate application of the file was lowered to, in order. */
  gateOps: Uint32Array;
  qregs: QasmRegister[];
  cregs: QasmRegister[];
  /** Classical bits of all cregs together, in declaration order. */
  clbits: number;
  /** Gates, measurements and resets in execution order. */
  steps: QasmStep[];
  /**
   * Why the probabilities depend on measurement outcomes (a gate or reset after a measurement of
   * that qubit, a reset after gates, an `if`): the first such statement; null when the final
   * state's probabilities are the answer (measurements at the end only).
   */
  dynamic: { line: number; reason: string } | null;
}

/**
 * dL/d(file parameters) from dL/d(angle of each op) by the chain rule through the program's
 * Jacobian. `opGradient[g]` is read only for ops that have Jacobian entries.
 */
export function parameterGradient(program: QasmProgram, opGradient: ArrayLike<number>): Float64Array {
  const { start, param, coef } = program.jacobian;
  const out = new Float64Array(program.parameters.length);
  for (let g = 0; g + 1 < start.length; g++) {
    for (let e = start[g]; e < start[g + 1]; e++) out[param[e]] += coef[e] * opGradient[g];
  }
  return out;
}
