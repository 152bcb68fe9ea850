import type { Circuit, Op } from '../circuit/types.js';
import type { BatchInput, CircuitOutput } from '../sim/backend.js';
import { adjointRow, adjointScratch, probabilityGradient, validateUpstream } from '../sim/adjoint-cpu.js';
import { outputCount, validateOutput } from '../sim/experts.js';
import { validateInput } from '../sim/input.js';
import { applyReadout } from './density-cpu.js';
import type { NoiseSchedule } from './model.js';
import { type TrajectoryOptions, drawPauli, trajectoryPrefix, validateTrajectoryOptions } from './trajectories-cpu.js';

const PAULI_GATE = ['x', 'y', 'z'] as const;

/**
 * The circuit of one trajectory: the schedule's gates with the Paulis drawn at its channels
 * inserted as fixed gates (Y as the y gate: it differs from the kernels' XZ by a global phase only).
 */
export function trajectoryCircuit(schedule: NoiseSchedule, prefix: number): Circuit {
  const { circuit } = schedule;
  const ops: Op[] = [];
  for (const step of schedule.steps) {
    if (step.kind === 'gate') {
      ops.push(circuit.ops[step.op]);
      continue;
    }
    const pauli = drawPauli(prefix, step);
    if (pauli === 0) continue;
    if (step.kind === 'channel1') {
      ops.push({ gate: PAULI_GATE[pauli - 1], wires: [step.wire] });
    } else {
      const a = pauli >> 2, b = pauli & 3;
      if (a) ops.push({ gate: PAULI_GATE[a - 1], wires: [step.wires[0]] });
      if (b) ops.push({ gate: PAULI_GATE[b - 1], wires: [step.wires[1]] });
    }
  }
  return { ...circuit, ops };
}

/**
 * Checks the arguments of a noise-aware gradient call (CPU and GPU alike) and returns the
 * completed trajectory options and the number of outputs per row.
 */
export function checkNoisyGradient(schedule: NoiseSchedule, input: BatchInput, output: CircuitOutput, dLdOut: ArrayLike<number>, options: TrajectoryOptions) {
  const { circuit } = schedule;
  validateInput(circuit, input);
  validateOutput(circuit.qubits, output);
  const o = validateTrajectoryOptions(options);
  const outputs = outputCount(circuit.qubits, output);
  validateUpstream(dLdOut, input.rows, outputs);
  return { o, outputs };
}

/**
 * Noise-aware gradient by trajectories, float64: for L = sum_{r,o} dLdOut[r, o] out[r, o] with
 * out the trajectory-mean noisy outputs (readout error included), the mean over T trajectories of
 * the adjoint-method gradient of each trajectory's circuit (its Paulis fixed gates). An unbiased
 * estimate of the exact (density-matrix) gradient; the same draws as trajectoryProbabilitiesCpu.
 * `perTrajectory` (tests) receives each trajectory's parameter gradient, summed over rows.
 * `withFeatures`: also dL/dfeatures per row (rows x features, the trajectory mean).
 */
export function noisyGradientCpu(
  schedule: NoiseSchedule,
  input: BatchInput,
  output: CircuitOutput,
  dLdOut: ArrayLike<number>,
  options: TrajectoryOptions,
  perTrajectory?: (t: number, params: Float64Array) => void,
  withFeatures = false,
): { params: Float64Array; features?: Float64Array } {
  const { circuit } = schedule;
  const { o, outputs } = checkNoisyGradient(schedule, input, output, dLdOut, options);
  const scratch = adjointScratch(circuit.qubits);
  const total = new Float64Array(circuit.params);
  const perT = Array.from({ length: perTrajectory ? o.trajectories : 0 }, () => new Float64Array(circuit.params));
  const one = new Float64Array(circuit.params);
  const features = withFeatures ? new Float64Array(input.rows * circuit.features) : undefined;
  for (let r = 0; r < input.rows; r++) {
    probabilityGradient(circuit.qubits, output, dLdOut, r * outputs, scratch.w);
    // Readout error is a symmetric stochastic map R on the probabilities: dL/dp = R dL/dp'.
    applyReadout(scratch.w, 0, circuit.qubits, schedule.readout);
    for (let t = 0; t < o.trajectories; t++) {
      const c = trajectoryCircuit(schedule, trajectoryPrefix(o.seed, o.step, o.firstSample + r, t));
      one.fill(0);
      adjointRow(c, input, r, scratch, one, features, r * circuit.features);
      for (let i = 0; i < one.length; i++) total[i] += one[i];
      if (perTrajectory) for (let i = 0; i < one.length; i++) perT[t][i] += one[i];
    }
  }
  for (let i = 0; i < total.length; i++) total[i] /= o.trajectories;
  if (features) for (let i = 0; i < features.length; i++) features[i] /= o.trajectories;
  if (perTrajectory) perT.forEach((g, t) => perTrajectory(t, g));
  return features ? { params: total, features } : { params: total };
}
