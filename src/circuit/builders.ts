import { checkInt } from '../errors.js';
import type { Angle, Circuit, Op } from './types.js';

/** RY(x_i) on qubit i for i < qubits: the study's angle embedding of one input row. */
export function angleEmbedding(qubits: number): Op[] {
  checkInt('qubits', qubits, 1, 30);
  return Array.from({ length: qubits }, (_, i) => ({
    gate: 'ry' as const,
    wires: [i],
    angle: { kind: 'feature' as const, index: i },
  }));
}

/**
 * `layers` layers of RY(theta[l * qubits + i]) on every qubit i followed by CZ on the adjacent
 * pairs (0,1), (1,2), ..., (n-2, n-1). Parameters start at `firstParam`.
 */
export function ryCzLayers(qubits: number, layers: number, firstParam = 0): Op[] {
  checkInt('qubits', qubits, 1, 30);
  checkInt('layers', layers, 0, 10000);
  const ops: Op[] = [];
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < qubits; i++) {
      ops.push({ gate: 'ry', wires: [i], angle: { kind: 'param', index: firstParam + l * qubits + i } });
    }
    for (let i = 0; i + 1 < qubits; i++) ops.push({ gate: 'cz', wires: [i, i + 1] });
  }
  return ops;
}

/** The study's quantum router: angle embedding of `qubits` features, then `layers` RY + CZ layers. */
export function routerCircuit(qubits: number, layers: number): Circuit {
  return {
    qubits,
    features: qubits,
    params: qubits * layers,
    ops: [...angleEmbedding(qubits), ...ryCzLayers(qubits, layers)],
  };
}

/**
 * PennyLane's Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi) on `wire`, as three ops in the
 * order they act: RZ(phi), RY(theta), RZ(omega). Kept as a builder rather than a gate with three
 * angles so that every op has one angle: the kernels, the adjoint method and OpenQASM 2 export
 * (qelib1 has no Rot) need nothing new.
 */
export function rot(wire: number, phi: Angle, theta: Angle, omega: Angle): Op[] {
  return [
    { gate: 'rz', wires: [wire], angle: phi },
    { gate: 'ry', wires: [wire], angle: theta },
    { gate: 'rz', wires: [wire], angle: omega },
  ];
}
