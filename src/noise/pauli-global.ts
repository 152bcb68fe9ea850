import type { BufferSet } from '../gpu/buffer-set.js';
import { type KernelStep, getKernel, grid, kernelStep } from '../gpu/kernel.js';
import { KERNELS } from '../gpu/kernels.js';
import { UniformTable } from '../gpu/uniform-table.js';
import type { SweepExtras } from '../sim/adjoint-global.js';
import type { CompiledNoise } from './compile.js';
import type { NoiseSchedule } from './model.js';
import { TrajectoryDraws } from './runner-gpu.js';

/**
 * The channels of a noisy circuit as passes between its gates, on trajectory states in global
 * memory (shaders/global_pauli.wgsl): batch row r is trajectory r % T of sample r / T, and each
 * channel applies the Pauli drawn for it (the same draws as the CPU's drawPauli). Used by the
 * global trajectories runner (forward only) and, as the global adjoint's SweepExtras, by the
 * global noise-aware gradient (forward, and un-applied in the backward sweep).
 */
export class GlobalPaulis implements SweepExtras {
  readonly draws: TrajectoryDraws;
  /** The batch's first sample within the rows of a call (added to the draws' firstSample): set per run. */
  start = 0;
  /** Per op g (-1: before the first), the indices of the channels after it, in order. */
  private readonly after = new Map<number, number[]>();
  private readonly records: Uint32Array;
  private steps: { forward: KernelStep<'global_pauli'>; backward: KernelStep<'global_pauli'> | null }[] = [];
  private groups: { forward: GPUBindGroup[]; backward: GPUBindGroup[] } = { forward: [], backward: [] };
  /** The Meta last written per step (a step's Meta is rewritten only when it changes). */
  private readonly written = new Map<KernelStep<'global_pauli'>, string>();

  constructor(
    schedule: NoiseSchedule,
    compiled: CompiledNoise,
    readonly trajectories: number,
    private readonly withBackward: boolean,
  ) {
    this.draws = new TrajectoryDraws(trajectories);
    const words: number[] = [];
    let lastGate = -1;
    schedule.steps.forEach((step, i) => {
      if (step.kind === 'gate') {
        lastGate = step.op;
        return;
      }
      const list = this.after.get(lastGate) ?? [];
      list.push(words.length / 4);
      this.after.set(lastGate, list);
      words.push(...compiled.ops.subarray(4 * i, 4 * i + 4));
    });
    this.records = Uint32Array.from(words.length > 0 ? words : [0, 0, 0, 0]);
    this.qubits = compiled.qubits;
    this.real = compiled.real;
  }

  private readonly qubits: number;
  private readonly real: boolean;
  /** The adapter's per-dimension workgroup limit (from build). */
  private maxPerDimension = 65535;

  has(g: number): boolean {
    return this.after.has(g);
  }

  async build(buffers: BufferSet, states: { psi: GPUBuffer; lam?: GPUBuffer }, chunks: number): Promise<void> {
    const { gpu } = buffers;
    this.maxPerDimension = gpu.limits.maxComputeWorkgroupsPerDimension;
    const make = (backward: boolean) => getKernel(gpu, 'global_pauli', { REAL: this.real, BACKWARD: backward }, { QUBITS: this.qubits });
    const forward = await make(false);
    const backward = this.withBackward ? await make(true) : null;
    const channels = buffers.storageOf('noise channels', this.records);
    const count = this.records.length / 4;
    const indices = new UniformTable(gpu, buffers, 'channel indices', KERNELS.global_pauli.structs.OpIndex, Array.from({ length: count }, (_, c) => ({ index: c })));
    this.groups = { forward: indices.groups(forward), backward: backward ? indices.groups(backward) : [] };
    if (backward && !states.lam) throw new Error('GlobalPaulis.build: the backward passes need lambda');
    for (let i = 0; i < chunks; i++) {
      this.steps.push({
        forward: kernelStep(buffers, forward, { channels, psi: states.psi }),
        backward: backward ? kernelStep(buffers, backward, { channels, psi: states.psi, lam: states.lam! }) : null,
      });
    }
  }

  encode(pass: GPUComputePassEncoder, g: number, chunk: { index: number; first: number; rows: number }, backward: boolean): void {
    const list = this.after.get(g);
    if (!list) return;
    const step = backward ? this.steps[chunk.index].backward : this.steps[chunk.index].forward;
    if (!step) throw new Error('GlobalPaulis.encode: built without backward passes');
    const pairs = grid(Math.ceil((chunk.rows * 2 ** (this.qubits - 1)) / 256), this.maxPerDimension);
    const meta = { rows: chunk.rows, first_row: chunk.first, ...this.draws.meta(this.start), groups_x: pairs[0] };
    const key = JSON.stringify(meta);
    let values: typeof meta | null = null;
    if (this.written.get(step) !== key) {
      this.written.set(step, key);
      values = meta;
    }
    const groups = backward ? this.groups.backward : this.groups.forward;
    // Undone in reverse order (Paulis on different wires commute, but keep the sweep's mirror image).
    for (const c of backward ? [...list].reverse() : list) {
      pass.setBindGroup(1, groups[c]);
      step.encodeGrid(pass, pairs, values);
      values = null;
    }
  }
}
