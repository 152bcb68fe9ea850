import { QmoeInputError, checkInt } from '../errors.js';
import type { BatchInput } from '../sim/backend.js';
import { applyMatrix, applySwap, gateAction } from '../sim/statevector-cpu.js';
import { applyReadout } from './density-cpu.js';
import type { NoiseSchedule, NoiseStep } from './model.js';
import { STREAM_PAULI, STREAM_PAULI_CHOICE, pcgHash, rateThreshold } from './rng.js';

/** Most trajectories per sample. */
export const MAX_TRAJECTORIES = 1 << 20;

/** Counters of a trajectory run: draws depend on (seed, step, firstSample + row, trajectory, site). */
export interface TrajectoryOptions {
  trajectories: number;
  /** u32 seed; default 0. */
  seed?: number;
  /** u32 step counter (training step); default 0. */
  step?: number;
  /** Index of input row 0 within the whole data set, so a batch split gives the same draws; default 0. */
  firstSample?: number;
}

export function validateTrajectoryOptions(o: TrajectoryOptions): Required<TrajectoryOptions> {
  if (typeof o !== 'object' || o === null) throw new QmoeInputError('options', o, 'must be { trajectories, seed?, step?, firstSample? }');
  checkInt('trajectories', o.trajectories, 1, MAX_TRAJECTORIES);
  const seed = checkInt('seed', o.seed ?? 0, 0, 0xffffffff);
  const step = checkInt('step', o.step ?? 0, 0, 0xffffffff);
  const firstSample = checkInt('firstSample', o.firstSample ?? 0, 0, 0xffffffff);
  return { trajectories: o.trajectories, seed, step, firstSample };
}

/** Hash of the counters that are fixed for a whole trajectory (the WGSL computes the same prefix). */
export function trajectoryPrefix(seed: number, step: number, sample: number, trajectory: number): number {
  let h = pcgHash(seed >>> 0);
  h = pcgHash((h + (step >>> 0)) >>> 0);
  h = pcgHash((h + (sample >>> 0)) >>> 0);
  return pcgHash((h + (trajectory >>> 0)) >>> 0);
}

/**
 * The Pauli drawn at a channel for a trajectory: 0 none, else for a one-qubit channel 1 X, 2 Y,
 * 3 Z, and for a two-qubit channel 4 a + b (a on the first wire, b on the second, 0 I .. 3 Z).
 */
export function drawPauli(prefix: number, step: Exclude<NoiseStep, { kind: 'gate' }>): number {
  const site = pcgHash((prefix + step.site) >>> 0);
  const h = pcgHash((site + STREAM_PAULI) >>> 0);
  if (h >>> 8 >= rateThreshold(step.p)) return 0;
  const c = pcgHash((site + STREAM_PAULI_CHOICE) >>> 0);
  return step.kind === 'channel1' ? 1 + (c % 3) : 1 + (c % 15);
}

/**
 * Applies a Pauli string up to a global phase: P|k> = (-1)^popcount(k & zmask) |k ^ xmask>
 * (Y = i X Z, and the global phase i is dropped: it changes no probability and no gradient).
 */
export function applyPauliMasks(psi: Float64Array, dim: number, xmask: number, zmask: number): void {
  const sign = (k: number) => {
    let v = k & zmask;
    let s = 1;
    while (v) {
      s = -s;
      v &= v - 1;
    }
    return s;
  };
  if (xmask === 0) {
    for (let k = 0; k < dim; k++) {
      if (sign(k) < 0) {
        psi[2 * k] = -psi[2 * k];
        psi[2 * k + 1] = -psi[2 * k + 1];
      }
    }
    return;
  }
  const top = 2 ** Math.floor(Math.log2(xmask));
  for (let k = 0; k < dim; k++) {
    if (k & top) continue;
    const j = k ^ xmask;
    const sk = sign(k), sj = sign(j);
    const ar = psi[2 * k], ai = psi[2 * k + 1];
    psi[2 * k] = sj * psi[2 * j];
    psi[2 * k + 1] = sj * psi[2 * j + 1];
    psi[2 * j] = sk * ar;
    psi[2 * j + 1] = sk * ai;
  }
}

/** x and z masks of a one-qubit Pauli (1 X, 2 Y, 3 Z) on the qubit with bit `bit`. */
export function pauliMasks(pauli: number, bit: number): [number, number] {
  return [pauli === 1 || pauli === 2 ? bit : 0, pauli === 2 || pauli === 3 ? bit : 0];
}

/** Applies the Pauli drawn for a channel step (see drawPauli). */
export function applyDrawnPauli(psi: Float64Array, n: number, step: Exclude<NoiseStep, { kind: 'gate' }>, pauli: number): void {
  if (pauli === 0) return;
  const bit = (q: number) => 2 ** (n - 1 - q);
  let x: number, z: number;
  if (step.kind === 'channel1') {
    [x, z] = pauliMasks(pauli, bit(step.wire));
  } else {
    const [xa, za] = pauliMasks(pauli >> 2, bit(step.wires[0]));
    const [xb, zb] = pauliMasks(pauli & 3, bit(step.wires[1]));
    x = xa | xb;
    z = za | zb;
  }
  applyPauliMasks(psi, 2 ** n, x, z);
}

/** Runs one trajectory of input row `row` (the Paulis of `prefix`) into `psi`. */
export function trajectoryRow(schedule: NoiseSchedule, input: BatchInput, row: number, prefix: number, psi: Float64Array): void {
  const { circuit } = schedule;
  const n = circuit.qubits;
  const dim = 2 ** n;
  psi.fill(0);
  psi[0] = 1;
  for (const step of schedule.steps) {
    if (step.kind !== 'gate') {
      applyDrawnPauli(psi, n, step, drawPauli(prefix, step));
      continue;
    }
    const a = gateAction(circuit.ops[step.op], n, input, circuit.features, row);
    if ('swap' in a) applySwap(psi, dim, a.swap[0], a.swap[1]);
    else applyMatrix(psi, dim, a.target, a.mask, a.matrix);
  }
}

/**
 * Noisy probabilities by Monte-Carlo trajectories in float64: for each row the mean over T
 * trajectories of |psi_t|^2, then readout error; rows x 2^n. Inputs must be validated by the caller.
 */
export function trajectoryProbabilitiesCpu(schedule: NoiseSchedule, input: BatchInput, options: TrajectoryOptions): Float64Array {
  const o = validateTrajectoryOptions(options);
  const n = schedule.circuit.qubits;
  const dim = 2 ** n;
  const psi = new Float64Array(2 * dim);
  const out = new Float64Array(input.rows * dim);
  for (let r = 0; r < input.rows; r++) {
    const base = r * dim;
    for (let t = 0; t < o.trajectories; t++) {
      trajectoryRow(schedule, input, r, trajectoryPrefix(o.seed, o.step, o.firstSample + r, t), psi);
      for (let k = 0; k < dim; k++) out[base + k] += psi[2 * k] ** 2 + psi[2 * k + 1] ** 2;
    }
    for (let k = 0; k < dim; k++) out[base + k] /= o.trajectories;
    applyReadout(out, base, n, schedule.readout);
  }
  return out;
}
