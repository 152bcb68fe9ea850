import { GATES } from '../circuit/gates.js';
import type { Circuit } from '../circuit/types.js';
import { validateCircuit } from '../circuit/validate.js';
import { QmoeInputError, checkInt } from '../errors.js';

/**
 * Where depolarizing channels sit in a circuit.
 *
 * - `every-gate` (the study's text, preset `paper`): after every op, a channel on the op's wires:
 *   a one-qubit channel of rate `p` after a one-qubit gate, a two-qubit channel of rate `p2`
 *   after a two-qubit gate, a one-qubit channel of rate `p` on each wire of a larger gate.
 * - `points` (the study's published code, preset `code`): channels after chosen ops only.
 */
export type NoisePlacement = { kind: 'every-gate' } | { kind: 'points'; points: ChannelPoint[] };

/**
 * Channels after op `after` (-1: before the first op, on |0...0>). `pair: false` (the default)
 * puts an independent one-qubit channel of rate `p` on each of `wires`, in the order given;
 * `pair: true` puts one two-qubit channel of rate `p2` on the two `wires`.
 */
export interface ChannelPoint {
  after: number;
  wires: number[];
  pair?: boolean;
}

/**
 * A depolarizing noise model. One-qubit channel of rate p:
 *   rho -> (1 - p) rho + p/3 (X rho X + Y rho Y + Z rho Z)   (PennyLane's DepolarizingChannel(p));
 * two-qubit channel of rate p2: (1 - p2) rho + p2/15 sum over the 15 non-identity Pauli pairs.
 * p = 3/4 (one qubit) and p2 = 15/16 (two qubits) give the maximally mixed state.
 * `readout`: each measured bit flips independently with this probability.
 */
export interface NoiseModel {
  p: number;
  /** Rate of two-qubit channels; default p. */
  p2?: number;
  /** Default: after every gate. */
  placement?: NoisePlacement;
  /** Readout bit-flip probability per qubit; default 0. */
  readout?: number;
}

/** One step of a noisy circuit: a gate (index into circuit.ops) or a channel. */
export type NoiseStep =
  | { kind: 'gate'; op: number }
  /** One-qubit channel of rate p on `wire`; `site` counts channels in order (RNG counter). */
  | { kind: 'channel1'; wire: number; p: number; site: number }
  /** Two-qubit channel of rate p on wires a, b. */
  | { kind: 'channel2'; wires: [number, number]; p: number; site: number };

/** A circuit with its channels in execution order. */
export interface NoiseSchedule {
  circuit: Circuit;
  steps: NoiseStep[];
  /** Number of channel steps (sites 0..channels-1). */
  channels: number;
  readout: number;
}

function checkRate(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new QmoeInputError(argument, value, 'an error rate must be a number from 0 to 1');
  }
  return value;
}

/** Throws a QmoeInputError naming the first thing wrong with `model` for `circuit`. */
export function validateNoise(model: NoiseModel, circuit: Circuit): NoiseModel {
  if (typeof model !== 'object' || model === null) throw new QmoeInputError('noise', model, 'must be an object { p, p2?, placement?, readout? }');
  checkRate('noise.p', model.p);
  if (model.p2 !== undefined) checkRate('noise.p2', model.p2);
  if (model.readout !== undefined) checkRate('noise.readout', model.readout);
  const placement = model.placement ?? { kind: 'every-gate' };
  if (placement.kind === 'points') {
    if (!Array.isArray(placement.points)) throw new QmoeInputError('noise.placement.points', placement.points, 'must be an array of { after, wires, pair? }');
    placement.points.forEach((pt, i) => {
      const where = `noise.placement.points[${i}]`;
      checkInt(`${where}.after`, pt?.after, -1, circuit.ops.length - 1);
      if (!Array.isArray(pt.wires) || pt.wires.length === 0) throw new QmoeInputError(`${where}.wires`, pt.wires, 'must list at least one wire');
      pt.wires.forEach((w, k) => checkInt(`${where}.wires[${k}]`, w, 0, circuit.qubits - 1));
      if (pt.pair) {
        if (pt.wires.length !== 2 || pt.wires[0] === pt.wires[1]) {
          throw new QmoeInputError(`${where}.wires`, pt.wires, 'a two-qubit channel (pair: true) needs two different wires');
        }
      }
    });
  } else if (placement.kind !== 'every-gate') {
    throw new QmoeInputError('noise.placement.kind', (placement as { kind: unknown }).kind, "must be 'every-gate' or 'points'");
  }
  return model;
}

/** The circuit's gates and channels in order. Validates both. */
export function noiseSchedule(circuit: Circuit, model: NoiseModel): NoiseSchedule {
  validateCircuit(circuit);
  validateNoise(model, circuit);
  const p1 = model.p;
  const p2 = model.p2 ?? model.p;
  const steps: NoiseStep[] = [];
  let site = 0;
  const placement = model.placement ?? { kind: 'every-gate' as const };
  const after = new Map<number, ChannelPoint[]>();
  if (placement.kind === 'points') {
    for (const pt of placement.points) {
      const list = after.get(pt.after) ?? [];
      list.push(pt);
      after.set(pt.after, list);
    }
  }
  const emitPoints = (g: number) => {
    for (const pt of after.get(g) ?? []) {
      if (pt.pair) steps.push({ kind: 'channel2', wires: [pt.wires[0], pt.wires[1]], p: p2, site: site++ });
      else for (const w of pt.wires) steps.push({ kind: 'channel1', wire: w, p: p1, site: site++ });
    }
  };
  emitPoints(-1);
  circuit.ops.forEach((op, g) => {
    steps.push({ kind: 'gate', op: g });
    if (placement.kind === 'every-gate') {
      const arity = GATES[op.gate].arity;
      if (arity === 1) steps.push({ kind: 'channel1', wire: op.wires[0], p: p1, site: site++ });
      else if (arity === 2) steps.push({ kind: 'channel2', wires: [op.wires[0], op.wires[1]], p: p2, site: site++ });
      // Gates on 3+ qubits (ccx, c3x, ...): an independent one-qubit channel on each wire.
      else for (const w of op.wires) steps.push({ kind: 'channel1', wire: w, p: p1, site: site++ });
    } else {
      emitPoints(g);
    }
  });
  return { circuit, steps, channels: site, readout: model.readout ?? 0 };
}

/**
 * What an error rate means. `pennylane` (qmoe's default): the rate is the probability of a Pauli
 * error, PennyLane's DepolarizingChannel(p): X, Y, Z each with p/3 after a one-qubit gate, and the 15
 * non-identity Pauli pairs each with p/15 after a two-qubit gate. `qiskit`: Qiskit Aer's
 * depolarizing_error(lambda, n), rho -> (1 - lambda) rho + lambda I / 2^n, whose Pauli error
 * probability is 3 lambda / 4 on one qubit and 15 lambda / 16 on two (the tool the study's text
 * names).
 */
export type NoiseConvention = 'pennylane' | 'qiskit';
export const NOISE_CONVENTIONS: readonly NoiseConvention[] = ['pennylane', 'qiskit'];

/** The Pauli error probabilities (p of a one-qubit channel, p2 of a two-qubit one) of a rate in a convention. */
export function conventionRates(rate: number, convention: NoiseConvention = 'pennylane'): { p: number; p2: number } {
  checkRate('rate', rate);
  if (convention === 'pennylane') return { p: rate, p2: rate };
  if (convention !== 'qiskit') throw new QmoeInputError('--noise-convention', convention, `must be one of ${NOISE_CONVENTIONS.join(', ')}`);
  return { p: (3 * rate) / 4, p2: (15 * rate) / 16 };
}

/** Noise after every gate at rate p (two-qubit gates: p2, default p): the study's text. */
export function everyGateNoise(p: number, options: { p2?: number; readout?: number } = {}): NoiseModel {
  return { p, ...options, placement: { kind: 'every-gate' } };
}

/**
 * The published code's placement: a one-qubit channel of rate p on every qubit after the
 * embedding (its first `embeddingOps` ops; 0: before the first op) and on every qubit after the
 * last op.
 */
export function embeddingAndOutputNoise(circuit: Circuit, embeddingOps: number, p: number, options: { readout?: number } = {}): NoiseModel {
  checkInt('embeddingOps', embeddingOps, 0, circuit.ops.length);
  const all = Array.from({ length: circuit.qubits }, (_, i) => i);
  const points: ChannelPoint[] = [{ after: embeddingOps - 1, wires: all }];
  points.push({ after: circuit.ops.length - 1, wires: all });
  return { p, ...options, placement: { kind: 'points', points } };
}

/** True when the model has no effect (every rate 0). */
export function isNoiseless(model: NoiseModel): boolean {
  return model.p === 0 && (model.p2 ?? model.p) === 0 && (model.readout ?? 0) === 0;
}
