import { QmoeInputError } from '../errors.js';
import { GATES } from './gates.js';
import { readQasmProgram } from './qasm/parser.js';
import type { QasmProgram } from './qasm/program.js';
import type { Angle, Circuit } from './types.js';
import { validateCircuit } from './validate.js';

export type { QasmCondition, QasmParameter, QasmProgram, QasmRegister, QasmStep } from './qasm/program.js';
export { parameterGradient } from './qasm/program.js';
export { MAX_EXPRESSION_DEPTH } from './qasm/expr.js';

/**
 * Reads an OpenQASM 2.0 program (every gate of qelib1.inc, user `gate` definitions, broadcasting,
 * measure, reset, if) or the common subset of OpenQASM 3 (qubit/bit declarations, stdgates.inc
 * names, c = measure q, gphase) into a QasmProgram: the circuit lowered to the model's gates, the
 * file's angle arguments and the chain rule to them, and the steps with measurements and resets.
 * Throws a QmoeInputError naming `qasm line N` for anything it cannot represent.
 */
export function parseQasmProgram(text: string): QasmProgram {
  return readQasmProgram(text);
}

/**
 * The circuit of an OpenQASM program whose probabilities are those of its final state:
 * measurements at the end (and `barrier`) are ignored. Registers are concatenated in declaration
 * order; angles become constants, so the circuit has no features or params. A program whose
 * outcome depends on measurements in the middle (a gate or reset after a measurement, `if`) is
 * refused: run it with parseQasmProgram and simulateProgramShots (`qmoe simulate --shots S`).
 */
export function parseQasm(text: string): Circuit {
  const program = readQasmProgram(text);
  if (program.dynamic) throw dynamicError(program);
  return validateCircuit(program.circuit);
}

/** The error for a program that needs per-shot simulation where exact probabilities were asked for. */
export function dynamicError(program: QasmProgram): QmoeInputError {
  const d = program.dynamic!;
  return new QmoeInputError(
    `qasm line ${d.line}`,
    d.reason,
    'the outcome depends on a measurement in the middle of the circuit, so there are no exact final probabilities: simulate the collapse per shot with --shots S (parseQasmProgram + simulateProgramShots in the library)',
  );
}

/** Shortest decimal that parses back to the same float64, in OpenQASM 2 real syntax. */
function formatReal(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  // String() may give "1e-7"; OpenQASM 2 reals need a dot before the exponent.
  return /e/.test(s) && !/\./.test(s) ? s.replace('e', '.0e') : s;
}

/**
 * Writes `circuit` as OpenQASM 2.0 with one `qreg q[n]`, one gate per line and angles that parse
 * back to the identical float64. Feature angles take their values from `bind.features` (one
 * input row) and param angles from `bind.params`.
 */
export function toQasm(circuit: Circuit, bind?: { features?: ArrayLike<number>; params?: ArrayLike<number> }): string {
  validateCircuit(circuit);
  const needs = (kind: 'feature' | 'param') => circuit.ops.some((op) => op.angle?.kind === kind);
  const check = (name: 'features' | 'params', width: number) => {
    const arr = bind?.[name];
    if (!arr || arr.length !== width) {
      throw new QmoeInputError(`bind.${name}`, arr?.length, `the circuit has ${name === 'features' ? 'feature' : 'param'} angles; pass ${width} numbers (one row)`);
    }
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i])) throw new QmoeInputError(`bind.${name}[${i}]`, arr[i], 'must be a finite number');
    }
  };
  if (needs('feature')) check('features', circuit.features);
  if (needs('param')) check('params', circuit.params);
  const value = (a: Angle) => (a.kind === 'const' ? a.value : a.kind === 'feature' ? bind!.features![a.index] : bind!.params![a.index]);

  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', `qreg q[${circuit.qubits}];`];
  for (const op of circuit.ops) {
    const name = GATES[op.gate].qasm;
    const angle = op.angle ? `(${formatReal(value(op.angle))})` : '';
    lines.push(`${name}${angle} ${op.wires.map((w) => `q[${w}]`).join(',')};`);
  }
  return lines.join('\n') + '\n';
}
