import { QmoeInputError, checkInt } from '../errors.js';
import { GATES, isGateName } from './gates.js';
import type { Circuit } from './types.js';

/** Most qubits any backend accepts; the GPU's buffer limits usually bind first. */
export const MAX_QUBITS = 30;

/** Throws a QmoeInputError naming the first thing wrong with `circuit`. */
export function validateCircuit(circuit: Circuit): Circuit {
  if (typeof circuit !== 'object' || circuit === null) throw new QmoeInputError('circuit', circuit, 'must be an object');
  checkInt('circuit.qubits', circuit.qubits, 1, MAX_QUBITS);
  checkInt('circuit.features', circuit.features, 0, 1 << 20);
  checkInt('circuit.params', circuit.params, 0, 1 << 24);
  if (!Array.isArray(circuit.ops)) throw new QmoeInputError('circuit.ops', circuit.ops, 'must be an array');
  circuit.ops.forEach((op, i) => {
    const where = `circuit.ops[${i}]`;
    if (!isGateName(op.gate)) {
      throw new QmoeInputError(`${where}.gate`, op.gate, `unknown gate; known gates: ${Object.keys(GATES).join(', ')}`);
    }
    const info = GATES[op.gate];
    if (!Array.isArray(op.wires) || op.wires.length !== info.arity) {
      throw new QmoeInputError(`${where}.wires`, op.wires, `${op.gate} acts on ${info.arity} wire(s)`);
    }
    op.wires.forEach((w, k) => checkInt(`${where}.wires[${k}]`, w, 0, circuit.qubits - 1));
    for (let i = 1; i < op.wires.length; i++) {
      if (op.wires.indexOf(op.wires[i]) < i) throw new QmoeInputError(`${where}.wires`, op.wires, 'the wires of a gate must differ');
    }
    if (!info.parametric) {
      if (op.angle !== undefined) throw new QmoeInputError(`${where}.angle`, op.angle, `${op.gate} takes no angle`);
      return;
    }
    const a = op.angle;
    if (!a) throw new QmoeInputError(`${where}.angle`, a, `${op.gate} needs an angle`);
    if (a.kind === 'const') {
      if (!Number.isFinite(a.value)) throw new QmoeInputError(`${where}.angle.value`, a.value, 'must be a finite number');
    } else if (a.kind === 'feature') {
      // The kernels rotate per-sample angles about an axis; a phase gate has none.
      if (info.axis === undefined) throw new QmoeInputError(`${where}.angle`, a, `${op.gate} cannot read an input feature (only rx, ry, rz, crx, cry, crz can); use a const or param angle`);
      checkInt(`${where}.angle.index`, a.index, 0, circuit.features - 1);
    } else if (a.kind === 'param') {
      checkInt(`${where}.angle.index`, a.index, 0, circuit.params - 1);
    } else {
      throw new QmoeInputError(`${where}.angle.kind`, (a as { kind: unknown }).kind, 'must be const, feature or param');
    }
  });
  return circuit;
}

/** True when every gate of the circuit has a real matrix, so real-only kernels can run it. */
export function isRealCircuit(circuit: Circuit): boolean {
  return circuit.ops.every((op) => GATES[op.gate].real);
}
