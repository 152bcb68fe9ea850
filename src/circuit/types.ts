/** Gates of the circuit model (OpenQASM 2 qelib1 names in lower case). */
export type FixedGate = 'h' | 'x' | 'y' | 'z' | 's' | 't';
export type RotationGate = 'rx' | 'ry' | 'rz';
export type ControlledRotationGate = 'crx' | 'cry' | 'crz';
export type TwoQubitGate = 'cnot' | 'cz' | 'swap';
export type GateName = FixedGate | RotationGate | ControlledRotationGate | TwoQubitGate;

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
