import type { GpuContext } from '../gpu/context.js';
import { QmoeInputError, checkInt } from '../errors.js';
import { modelCircuit, readoutOps } from '../moe/models.js';
import { expertCircuit } from '../moe/quantum-experts.js';
import { type QuantumPart, quantumParts } from '../moe/mixture-spec.js';
import { GATES } from '../circuit/gates.js';
import type { ModelSpec, Preset } from '../moe/spec.js';
import { createCpuEngine } from '../train/cpu-engine.js';
import type { TrainingEngine } from '../train/engine.js';
import { DEFAULT_GRADIENT_TRAJECTORIES, NoisyBackend } from './backend.js';
import { type ChannelPoint, type NoiseConvention, type NoiseModel, conventionRates, embeddingAndOutputNoise, everyGateNoise } from './model.js';
import { MAX_TRAJECTORIES } from './trajectories-cpu.js';
import { densityMaxQubits } from './simulate.js';

/**
 * Where a preset puts the router's depolarizing channels:
 * - `every-gate` (preset paper, the study's text): after every gate of the router circuit;
 * - `embedding-output` (preset code, its notebooks): on every qubit after the angle embedding and
 *   on every qubit after the last layer.
 */
export type RouterNoisePlacement = 'every-gate' | 'embedding-output';

export function presetPlacement(preset: Preset): RouterNoisePlacement {
  return preset === 'paper' ? 'every-gate' : 'embedding-output';
}

/** The one- and two-qubit rates of error rate `rate` read in `convention`, after checking it and the placement. */
function checkedRates(rate: number, placement: RouterNoisePlacement, convention: NoiseConvention): { p: number; p2: number } {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) throw new QmoeInputError('--gate-noise', rate, 'an error rate must be a number from 0 to 1');
  if (placement !== 'every-gate' && placement !== 'embedding-output') throw new QmoeInputError('placement', placement, "must be 'every-gate' or 'embedding-output'");
  return conventionRates(rate, convention);
}

/**
 * The noise model of a quantum router's circuit at error rate `rate`, channels placed as its
 * preset's (or `placement`), the rate read in `convention` (model.ts conventionRates).
 */
export function routerNoise(spec: ModelSpec, rate: number, placement: RouterNoisePlacement = presetPlacement(spec.preset), convention: NoiseConvention = 'pennylane'): NoiseModel {
  if (spec.router !== 'quantum') throw new QmoeInputError('--router', spec.router, 'gate noise applies to the quantum router only');
  const { p, p2 } = checkedRates(rate, placement, convention);
  const circuit = modelCircuit(spec);
  // The parity readout's CNOTs stand for the classical parity of measured bits: no channels on them.
  const gates = circuit.ops.length - readoutOps(spec).length;
  if (placement === 'every-gate') {
    if (gates === circuit.ops.length) return everyGateNoise(p, { p2 });
    const points: ChannelPoint[] = circuit.ops.slice(0, gates).map((op, g) =>
      GATES[op.gate].arity === 2 ? { after: g, wires: [op.wires[0], op.wires[1]], pair: true } : { after: g, wires: [...op.wires] },
    );
    return { p, p2, placement: { kind: 'points', points } };
  }
  // Both presets embed feature i on qubit i with one rotation: the embedding is the first `features` ops.
  const model = embeddingAndOutputNoise(circuit, spec.features, p);
  if (model.placement?.kind === 'points') model.placement.points[model.placement.points.length - 1].after = gates - 1;
  return model;
}

/**
 * The noise model of the quantum experts' circuit (--experts-kind quantum) at error rate `rate`,
 * placed as the router's: after every gate (every-gate), or on every qubit after the embedding and
 * after the last layer (embedding-output).
 */
export function expertNoise(spec: ModelSpec, rate: number, placement: RouterNoisePlacement = presetPlacement(spec.preset), convention: NoiseConvention = 'pennylane'): NoiseModel {
  if (spec.expertsKind !== 'quantum') throw new QmoeInputError('--experts-kind', spec.expertsKind ?? 'linear', 'expert noise applies to quantum experts only');
  const { p, p2 } = checkedRates(rate, placement, convention);
  if (placement === 'every-gate') return everyGateNoise(p, { p2 });
  return embeddingAndOutputNoise(expertCircuit(spec), spec.features, p);
}

/** What metrics.json and run records say about the circuits' noise during training. */
export interface GateNoiseRecord {
  p: number;
  placement: RouterNoisePlacement;
  /** What p means (absent: pennylane, the Pauli error probability). */
  convention?: NoiseConvention;
  /** Trajectories per row of the noise-aware gradient. */
  trajectories: number;
  /** Forward passes (losses, accuracies): exact density matrices, or trajectories for large circuits. */
  forward: 'density-matrix' | 'trajectories';
  /** Seed of the Pauli draws. */
  seed: number;
  /** The circuits with channels, when the experts are quantum (absent: the router alone). */
  circuits?: QuantumPart[];
  /** Where the noisy circuit ran: the CPU in float64, or the GPU (f32 kernels, the same draws). */
  circuit: 'cpu' | 'webgpu';
  /** Measurement shots per row behind every forward output (null: exact outputs). */
  shots: number | null;
}

export interface NoisyEngineOptions {
  lr: number;
  p: number;
  trajectories?: number;
  /** Seed of the Pauli draws (default 0). */
  seed?: number;
  placement?: RouterNoisePlacement;
  /** What p means (default pennylane). */
  convention?: NoiseConvention;
  /** Run the noisy circuit (outputs and noise-aware gradient) on this GPU; the classical parts stay on the CPU. */
  gpu?: GpuContext | null;
  /** Forward outputs from this many sampled shots per row (finite-shot noise). */
  shots?: number;
}

/** The NoisyBackends of a model's quantum circuits (null for a part the model does not have). */
export interface NoisyCircuitBackends {
  router: NoisyBackend | null;
  experts: NoisyBackend | null;
  /** What a run under them records (placement, trajectories, forward pass, where, which circuits). */
  record: GateNoiseRecord;
}

/**
 * The model's quantum circuits under noise at rate o.p: the quantum router's with routerNoise, the
 * quantum experts' with expertNoise (their draws seeded with seed + 1, independent of the
 * router's). A CpuModel takes `router ?? experts` as its backend and `experts` as its expert backend.
 */
export function noisyCircuitBackends(spec: ModelSpec, o: Omit<NoisyEngineOptions, 'lr'>): NoisyCircuitBackends {
  const trajectories = checkInt('--trajectories', o.trajectories ?? DEFAULT_GRADIENT_TRAJECTORIES, 1, MAX_TRAJECTORIES);
  const placement = o.placement ?? presetPlacement(spec.preset);
  const convention = o.convention ?? 'pennylane';
  const circuits = quantumParts(spec);
  if (circuits.length === 0) throw new QmoeInputError('--router', spec.router, 'gate noise applies to quantum circuits only: the quantum router or --experts-kind quantum');
  const seed = o.seed ?? 0;
  const noisy = (model: NoiseModel, drawSeed: number) => new NoisyBackend(model, { trajectories, seed: drawSeed, gpu: o.gpu, shots: o.shots });
  const router = spec.router === 'quantum' ? noisy(routerNoise(spec, o.p, placement, convention), seed) : null;
  const experts = spec.expertsKind === 'quantum' ? noisy(expertNoise(spec, o.p, placement, convention), (seed + 1) >>> 0) : null;
  const largest = Math.max(spec.router === 'quantum' ? spec.qubits : 0, spec.expertsKind === 'quantum' ? spec.expertQubits! : 0);
  const forward = largest <= densityMaxQubits(o.gpu) ? 'density-matrix' : 'trajectories';
  const record: GateNoiseRecord = {
    p: o.p, placement, ...(convention === 'pennylane' ? {} : { convention }), trajectories, forward, seed, circuit: o.gpu ? 'webgpu' : 'cpu', shots: o.shots ?? null,
    ...(spec.expertsKind === 'quantum' ? { circuits } : {}),
  };
  return { router, experts, record };
}

/**
 * The float64 CPU engine with the model's quantum circuits run under noise (noisyCircuitBackends):
 * losses from the exact noisy outputs, gradients by the noise-aware adjoint method over T
 * trajectories (NoisyBackend; the experts' angles through its feature gradients). With `gpu`, the
 * circuits' noisy outputs and gradients run on the GPU (the classical parts of the model, Adam and
 * the trainer stay on the CPU engine).
 */
export function createNoisyCpuEngine(spec: ModelSpec, o: NoisyEngineOptions): { engine: TrainingEngine; noise: GateNoiseRecord } {
  const { lr, ...rest } = o;
  const { router, experts, record } = noisyCircuitBackends(spec, rest);
  const engine = createCpuEngine(spec, { lr, circuitBackend: router ?? experts!, expertCircuitBackend: experts ?? undefined, ownCircuitBackend: true });
  return { engine, noise: record };
}

/** The error for noise-sweep on the WebGPU engine. */
export function noiseNeedsCpu(argument = '--backend'): QmoeInputError {
  return new QmoeInputError(argument, 'webgpu', 'noise-sweep trains on the CPU engine (qmoe train --gate-noise --backend webgpu runs a noisy circuit and its gradient on the GPU); use --backend cpu or auto');
}
