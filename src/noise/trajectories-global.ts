import { QmoeInputError } from '../errors.js';
import { checkDevice, formatBytes } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { type KernelStep, getKernel, grid, kernelStep } from '../gpu/kernel.js';
import { KERNELS } from '../gpu/kernels.js';
import { UniformTable } from '../gpu/uniform-table.js';
import { defaultGlobalBudget, maxGlobalAdjointQubits, stateBytes } from '../sim/adjoint-global.js';
import type { BatchInput } from '../sim/backend.js';
import { validateInput } from '../sim/input.js';
import { maxBindingBytes } from '../sim/statevector-gpu.js';
import { BufferSet } from '../gpu/buffer-set.js';
import { compileNoise, noiseMatrixTable } from './compile.js';
import type { NoiseSchedule } from './model.js';
import { GlobalPaulis } from './pauli-global.js';
import type { GpuCall } from '../gpu/check.js';
import { type NoiseGpuOptions, NoiseTables, type ProbabilityParts, type ProbabilityRunner, checkNoiseGpuInput, probabilitiesOnce } from './runner-gpu.js';
import { type TrajectoryOptions, validateTrajectoryOptions } from './trajectories-cpu.js';

export interface GlobalTrajectoryOptions extends NoiseGpuOptions {
  /** GPU memory for the trajectory states in flight, bytes (default defaultGlobalBudget). */
  budgetBytes?: number;
}

/** Chunks of trajectory states one runner encodes at most (more samples run as further calls). */
const MAX_CHUNKS = 16;

/** Throws the QmoeInputError of a noisy circuit whose one trajectory state does not fit one storage binding. */
export function checkGlobalTrajectoryFits(gpu: GpuContext, qubits: number, real: boolean): void {
  const max = maxGlobalAdjointQubits(gpu, real);
  if (qubits <= max) return;
  throw new QmoeInputError(
    'circuit.qubits',
    qubits,
    `noise trajectories in global memory hold ${real ? 'real' : 'complex'} states of ${formatBytes(stateBytes(qubits, real))} each, over this adapter's largest storage binding or allocation (${formatBytes(Math.min(maxBindingBytes(gpu), gpu.maxAllocationBytes))}): at most ${max} qubits`,
  );
}

/** Trajectory states per chunk: within the budget, one binding and allocation, u32 indices and the dispatch grid. */
export function globalTrajectoryChunkRows(gpu: GpuContext, qubits: number, real: boolean, budgetBytes: number): number {
  checkGlobalTrajectoryFits(gpu, qubits, real);
  const state = stateBytes(qubits, real);
  const byBudget = Math.floor(budgetBytes / state);
  const byBinding = Math.floor(Math.min(maxBindingBytes(gpu), gpu.maxAllocationBytes) / state);
  const byIndex = Math.floor(2 ** 31 / 2 ** qubits);
  const byGrid = Math.floor((gpu.limits.maxComputeWorkgroupsPerDimension ** 2 * 256) / 2 ** qubits);
  return Math.max(1, Math.min(byBudget, byBinding, byIndex, byGrid));
}

/** Most samples per GlobalTrajectoryRunner of T trajectories (at least 1; one sample's probabilities must fit a binding). */
export function globalTrajectoryRows(gpu: GpuContext, schedule: NoiseSchedule, trajectories: number, options: GlobalTrajectoryOptions = {}): number {
  const { circuit } = schedule;
  const real = compileNoise(schedule, 'threshold', options.real !== 'never').real;
  const chunkRows = globalTrajectoryChunkRows(gpu, circuit.qubits, real, options.budgetBytes ?? defaultGlobalBudget(gpu));
  const limit = maxBindingBytes(gpu);
  const dim = 2 ** circuit.qubits;
  const T = trajectories;
  const F = circuit.features;
  if (dim * 4 > limit) throw new QmoeInputError('circuit.qubits', circuit.qubits, `one row of ${dim} probabilities is over this adapter's storage binding limit of ${formatBytes(limit)}`);
  if (T * F * 8 > limit) throw new QmoeInputError('trajectories', T, `${T} trajectories x ${F} features of angles is over this adapter's storage binding limit of ${formatBytes(limit)}`);
  const byChunks = Math.max(1, Math.floor((MAX_CHUNKS * chunkRows) / T));
  return Math.max(1, Math.min(byChunks, Math.floor(limit / (dim * 4)), F > 0 ? Math.floor(limit / (T * F * 8)) : byChunks, Math.floor(2 ** 26 / T)));
}

interface ChunkSteps {
  first: number;
  init: KernelStep<'init_state'>;
  gate: KernelStep<'global_gate'>;
  mean: KernelStep<'global_traj_mean'>;
}

/**
 * Noisy probabilities by T trajectories per sample with the states in global memory (storage
 * buffers), for circuits whose states do not fit workgroup memory (shaders/trajectories.wgsl's
 * limit). Every (sample, trajectory) pair is one state of the batch (row sample x T + t): per
 * chunk of states |0> (init_state.wgsl), then per step of the schedule a gate dispatch
 * (global_gate.wgsl) or the Paulis drawn at a channel (GlobalPaulis, global_pauli.wgsl: the same
 * draws as the CPU's), then |psi|^2 added into the samples' trajectory means
 * (global_traj_mean.wgsl); finally readout error per qubit (global_readout.wgsl).
 */
export class GlobalTrajectoryRunner implements ProbabilityRunner {
  readonly qubits: number;
  readonly capacity: number;

  private constructor(
    private readonly parts: ProbabilityParts,
    readonly trajectories: number,
    readonly chunkRows: number,
    private readonly paulis: GlobalPaulis,
    private readonly chunks: ChunkSteps[],
    private readonly gateGroups: (GPUBindGroup | null)[],
    private readonly readout: KernelStep<'global_readout'>[],
  ) {
    this.qubits = parts.compiled.qubits;
    this.capacity = parts.capacity;
  }

  get draws() {
    return this.paulis.draws;
  }

  /** Prepares `schedule` for up to `capacity` samples (at most globalTrajectoryRows) of `trajectories` each. */
  static async create(gpu: GpuContext, schedule: NoiseSchedule, capacity: number, trajectories: number, options: GlobalTrajectoryOptions = {}): Promise<GlobalTrajectoryRunner> {
    checkDevice(gpu);
    const n = schedule.circuit.qubits;
    const compiled = compileNoise(schedule, 'threshold', options.real !== 'never');
    const max = globalTrajectoryRows(gpu, schedule, trajectories, options);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > max) throw new QmoeInputError('capacity', capacity, `must be an integer from 1 to ${max} on this adapter`);
    const T = trajectories;
    const states = capacity * T;
    const chunkRows = Math.min(states, globalTrajectoryChunkRows(gpu, n, compiled.real, options.budgetBytes ?? defaultGlobalBudget(gpu)));
    const buffers = new BufferSet(gpu, `the global trajectories runner (${n} qubits, ${capacity} rows x ${T} trajectories)`);
    return buffers.settle(async () => {
      // The tables hold the features of every trajectory row (each sample's repeated T times).
      const tables = await NoiseTables.create(buffers, compiled, noiseMatrixTable(schedule, compiled, undefined).byteLength, states);
      const outBytes = capacity * 2 ** n * 4;
      const parts: ProbabilityParts = { schedule, compiled, capacity, buffers, tables, out: buffers.storage('noise probabilities', outBytes), staging: buffers.readback('noise probabilities readback', outBytes) };
      const psi = buffers.storage('trajectory states', chunkRows * stateBytes(n, compiled.real));
      const paulis = new GlobalPaulis(schedule, compiled, T, false);
      const [init, gate, mean, readout] = await Promise.all([
        getKernel(gpu, 'init_state', { REAL: compiled.real }),
        getKernel(gpu, 'global_gate', { REAL: compiled.real, BACKWARD: false, WG_REDUCE: false }, { QUBITS: n, GROUP_SIZE: 256, SEG: Math.min(2 ** (n - 1), 256) }),
        getKernel(gpu, 'global_traj_mean', { REAL: compiled.real }, { QUBITS: n }),
        getKernel(gpu, 'global_readout', {}, { QUBITS: n }),
      ]);
      const steps = schedule.steps;
      const indices = new UniformTable(gpu, buffers, 'step indices', KERNELS.global_gate.structs.OpIndex, steps.map((_, i) => ({ index: i })));
      const gateGroups = steps.map((s, i) => (s.kind === 'gate' ? indices.group(gate, i) : null));
      const chunks: ChunkSteps[] = [];
      for (let first = 0; first < states; first += chunkRows) {
        chunks.push({
          first,
          init: kernelStep(buffers, init, { state: psi }),
          gate: kernelStep(buffers, gate, { ...tables.bindings, psi }),
          mean: kernelStep(buffers, mean, { psi, out: parts.out }),
        });
      }
      await paulis.build(buffers, { psi }, chunks.length);
      const readoutSteps = compiled.readout > 0 ? Array.from({ length: n }, () => kernelStep(buffers, readout, { out: parts.out })) : [];
      return new GlobalTrajectoryRunner(parts, T, chunkRows, paulis, chunks, gateGroups, readoutSteps);
    });
  }

  setParams(params: ArrayLike<number> | undefined): void {
    const { tables, schedule, compiled } = this.parts;
    tables.setMatrices(noiseMatrixTable(schedule, compiled, params));
  }

  async run(call: GpuCall, features: Float32Array, start: number, rows: number): Promise<Float32Array> {
    if (rows < 1 || rows > this.capacity) throw new QmoeInputError('rows', rows, `must be from 1 to the runner's capacity ${this.capacity}`);
    const { tables, out, staging, compiled } = this.parts;
    const T = this.trajectories;
    const F = compiled.features;
    const n = this.qubits;
    const dim = 2 ** n;
    const states = rows * T;
    const expanded = new Float32Array(states * F);
    for (let j = 0; j < rows; j++) {
      const row = features.subarray((start + j) * F, (start + j + 1) * F);
      for (let t = 0; t < T; t++) expanded.set(row, (j * T + t) * F);
    }
    tables.setFeatures(expanded, 0, states);
    this.paulis.start = start;
    const { device, limits } = call.gpu;
    const maxDim = limits.maxComputeWorkgroupsPerDimension;
    const encoder = device.createCommandEncoder({ label: 'global noise trajectories' });
    encoder.clearBuffer(out, 0, rows * dim * 4);
    const pass = encoder.beginComputePass({ label: 'global noise trajectories' });
    tables.encodeAngles(pass, states);
    this.chunks.forEach((c, index) => {
      if (c.first >= states) return;
      const count = Math.min(this.chunkRows, states - c.first);
      c.init.encode(pass, Math.ceil((count * dim) / 256), { count: count * dim, dim });
      const where = { index, first: c.first, rows: count };
      this.paulis.encode(pass, -1, where, false);
      const pairs = grid(Math.ceil((count * dim) / 2 / 256), maxDim);
      let meta: Parameters<typeof c.gate.encodeGrid>[2] = { rows: count, features: F, first_row: c.first, dmat_offset: 0, want_features: 0, groups_x: pairs[0] };
      this.parts.schedule.steps.forEach((step, i) => {
        if (step.kind !== 'gate') return;
        pass.setBindGroup(1, this.gateGroups[i]!);
        c.gate.encodeGrid(pass, pairs, meta);
        meta = null;
        this.paulis.encode(pass, step.op, where, false);
      });
      const touched = Math.floor((c.first + count - 1) / T) - Math.floor(c.first / T) + 1;
      c.mean.encode(pass, Math.ceil((touched * dim) / 256), { rows: count, first_row: c.first, trajectories: T });
    });
    this.readout.forEach((step, q) => step.encode(pass, Math.ceil((rows * dim) / 2 / 256), { rows, bit: 2 ** (n - 1 - q), readout: compiled.readout }));
    pass.end();
    call.submit(encoder);
    return call.read(out, rows * dim * 4, staging);
  }

  destroy(): void {
    this.parts.buffers.destroy();
  }
}

/**
 * Noisy probabilities by Monte-Carlo trajectories on the GPU's global-memory path
 * (GlobalTrajectoryRunner), rows x 2^n: the same Pauli draws as trajectoryProbabilitiesCpu.
 */
export async function trajectoryProbabilitiesGlobal(gpu: GpuContext, schedule: NoiseSchedule, input: BatchInput, trajectories: TrajectoryOptions, options: GlobalTrajectoryOptions = {}): Promise<Float32Array> {
  validateInput(schedule.circuit, input);
  const t = validateTrajectoryOptions(trajectories);
  checkNoiseGpuInput(schedule.circuit, input);
  checkDevice(gpu);
  const rows = Math.min(input.rows, globalTrajectoryRows(gpu, schedule, t.trajectories, options));
  const make = async (capacity: number) => {
    const runner = await GlobalTrajectoryRunner.create(gpu, schedule, capacity, t.trajectories, options);
    runner.draws.set(t);
    return runner;
  };
  return probabilitiesOnce(gpu, rows, make, input, 'the noisy probabilities (trajectories, global memory)');
}
