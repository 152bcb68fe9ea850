import { GATES } from '../../src/circuit/gates.js';
import type { Circuit, GateName, Op } from '../../src/circuit/types.js';
import type { NoiseModel } from '../../src/noise/model.js';
import { mulberry32, randomCircuit, randomInt } from '../helpers/random.js';

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function randomBatch(rng: () => number, circuit: Circuit, rows: number) {
  return {
    rows,
    features: Array.from({ length: rows * circuit.features }, () => (rng() * 2 - 1) * 4 * Math.PI),
    params: Array.from({ length: circuit.params }, () => (rng() * 2 - 1) * 2 * Math.PI),
  };
}

/** A random circuit with features and params and a random noise model (rates up to 0.3, both placements). */
export function randomNoisyCase(seed: number, qubits: number, gates: number, rows: number) {
  const rng = mulberry32(seed);
  const circuit = randomCircuit(rng, { qubits, gates, features: qubits, params: 4 });
  const input = randomBatch(rng, circuit, rows);
  const p = 0.3 * rng();
  let model: NoiseModel;
  if (rng() < 0.5) {
    model = { p, p2: 0.3 * rng(), readout: rng() < 0.5 ? 0.1 * rng() : 0 };
  } else {
    const points = [
      { after: -1, wires: [0] },
      { after: Math.floor(rng() * gates), wires: Array.from({ length: qubits }, (_, i) => i) },
    ];
    if (qubits >= 2) points.push({ after: gates - 1, wires: [0, qubits - 1], pair: true } as never);
    model = { p, p2: 0.3 * rng(), placement: { kind: 'points', points }, readout: 0.05 };
  }
  return { circuit, input, model, rng };
}

const REAL_GATES = (Object.keys(GATES) as GateName[]).filter((g) => GATES[g].real);

/** A random circuit where most parametric gates read a trainable parameter (every param used). */
export function paramCircuit(rng: () => number, qubits: number, gates: number, real: boolean): Circuit {
  const base = randomCircuit(rng, { qubits, gates, features: qubits, params: 4, gateSet: real ? REAL_GATES : undefined });
  let k = 0;
  const ops = base.ops.map((op, g) => (op.angle && g % 3 !== 2 ? { ...op, angle: { kind: 'param' as const, index: k++ % 4 } } : op));
  // A final layer of trainable rotations, so every parameter has a gradient.
  for (let q = 0; q < qubits; q++) ops.push({ gate: real ? 'ry' : (['rx', 'ry', 'rz'] as const)[q % 3], wires: [q], angle: { kind: 'param', index: (k++ + q) % 4 } });
  return { ...base, ops };
}

/** Channels at chosen points (before op 0, on all wires after op `at`, a pair after op at + 3) with readout error: the code placement. */
export function pointsModel(n: number, at: number, readout: number): NoiseModel {
  return {
    p: 0.3,
    p2: 0.4,
    readout,
    placement: { kind: 'points', points: [{ after: -1, wires: [0, n - 1] }, { after: at, wires: Array.from({ length: n }, (_, q) => q) }, { after: at + 3, wires: [1, n - 2], pair: true }] },
  };
}

/** An expert-like circuit: every angle a feature column (RY embedding, then rotation layers with CZ and CNOT). */
export function featureCircuit(rng: () => number, qubits: number, real: boolean, params = 0): Circuit {
  const ops: Op[] = [];
  let f = 0;
  for (let q = 0; q < qubits; q++) ops.push({ gate: 'ry', wires: [q], angle: { kind: 'feature', index: f++ } });
  for (let l = 0; l < 2; l++) {
    for (let q = 0; q < qubits; q++) {
      const gate = real ? 'ry' : (['rx', 'ry', 'rz'] as const)[(q + l) % 3];
      ops.push({ gate, wires: [q], angle: params > 0 && rng() < 0.3 ? { kind: 'param', index: randomInt(rng, params) } : { kind: 'feature', index: f++ } });
    }
    for (let q = 0; q + 1 < qubits; q++) ops.push({ gate: l % 2 ? 'cnot' : 'cz', wires: [q, q + 1] });
  }
  return { qubits, features: f, params, ops };
}
