/**
 * Gates of the circuit model. Each is a 2x2 target matrix with zero or more control wires, or a
 * swap: the primitive every kernel runs. OpenQASM gates that are not of that form (u3, rzz, cswap,
 * rccx, user `gate` definitions, ...) are lowered to these by the parser (src/circuit/qasm/).
 */
export type FixedGate = 'id' | 'h' | 'x' | 'y' | 'z' | 's' | 'sdg' | 't' | 'tdg' | 'sx' | 'sxdg';
export type RotationGate = 'rx' | 'ry' | 'rz' | 'p';
export type ControlledFixedGate = 'cnot' | 'cy' | 'cz' | 'ch' | 'csx' | 'ccx' | 'c3x' | 'c4x' | 'c3sqrtx';
export type ControlledRotationGate = 'crx' | 'cry' | 'crz' | 'cp';
export type GateName = FixedGate | RotationGate | ControlledFixedGate | ControlledRotationGate | 'swap';

/**
 * Where a rotation angle comes from: a constant, column `index` of the input row of each
 * sample, or entry `index` of the trainable parameter vector shared by the batch.
 */
export type Angle =
  | { kind: 'const'; value: number }
  | { kind: 'feature'; index: number }
  | { kind: 'param'; index: number };

/** One gate application. `wires` lists control(s) first, then the target. */
export interface Op {
  gate: GateName;
  wires: number[];
  angle?: Angle;
}

/**
 * A circuit as data. Qubit 0 is the most significant bit of a basis index (PennyLane's order).
 * `features` is the width of an input row and `params` the length of the parameter vector;
 * every angle source must index inside them.
 */
export interface Circuit {
  qubits: number;
  features: number;
  params: number;
  ops: Op[];
}
