import { GATES } from '../../src/circuit/gates.js';
import type { Angle, Circuit, GateName, Op } from '../../src/circuit/types.js';

/**
 * Mulberry32: a tiny seeded PRNG with uniform floats in [0, 1). Deterministic, so a failing
 * random test can be rerun with the same seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random integer in [0, n). */
export function randomInt(rng: () => number, n: number): number {
  return Math.floor(rng() * n);
}

export interface RandomCircuitOptions {
  /** Number of qubits (1 drops the two-qubit gates from the set). */
  qubits: number;
  /** Number of ops. */
  gates: number;
  /** Row width; when > 0, angles may read feature columns. Default 0. */
  features?: number;
  /** Parameter count; when > 0, angles may read params. Default 0. */
  params?: number;
  /** Gates to draw from, uniformly. Default: every gate in GATES. */
  gateSet?: GateName[];
}

/** `count` distinct random wires of `qubits` (a partial Fisher-Yates shuffle). */
export function distinctWires(rng: () => number, qubits: number, count: number): number[] {
  const all = Array.from({ length: qubits }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + randomInt(rng, qubits - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, count);
}

/**
 * A random valid circuit: each op is drawn uniformly from `gateSet` (those that fit `qubits`),
 * on distinct random wires. Each angle is, with equal odds among the sources available, a
 * constant uniform in [-2pi, 2pi], a random feature column (if features > 0 and the gate is a
 * rotation) or a random param (if params > 0).
 */
export function randomCircuit(rng: () => number, opts: RandomCircuitOptions): Circuit {
  const { qubits, gates } = opts;
  const features = opts.features ?? 0;
  const params = opts.params ?? 0;
  const set = (opts.gateSet ?? (Object.keys(GATES) as GateName[])).filter((g) => GATES[g].arity <= qubits);
  if (set.length === 0) throw new Error(`randomCircuit: no gate of the set fits ${qubits} qubit(s)`);
  const sources: Angle['kind'][] = ['const'];
  if (features > 0) sources.push('feature');
  if (params > 0) sources.push('param');

  const ops: Op[] = [];
  for (let k = 0; k < gates; k++) {
    const gate = set[randomInt(rng, set.length)];
    const op: Op = { gate, wires: distinctWires(rng, qubits, GATES[gate].arity) };
    if (GATES[gate].parametric) {
      // Only rotations (gates with an axis) may read features.
      const allowed = GATES[gate].axis === undefined ? sources.filter((s) => s !== 'feature') : sources;
      const kind = allowed[randomInt(rng, allowed.length)];
      op.angle =
        kind === 'const'
          ? { kind, value: (rng() * 2 - 1) * 2 * Math.PI }
          : { kind, index: randomInt(rng, kind === 'feature' ? features : params) };
    }
    ops.push(op);
  }
  return { qubits, features, params, ops };
}
