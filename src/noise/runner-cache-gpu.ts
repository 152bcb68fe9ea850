import type { GpuContext } from '../gpu/context.js';
import { allocateSplitting } from '../gpu/split.js';
import type { BatchInput, CircuitOutput } from '../sim/backend.js';
import { DensityRunner, chooseDensityPath } from './density-gpu.js';
import { GlobalDensityRunner } from './density-global.js';
import { NoisyGradientRunner, chooseNoisyGradientPath, noisyGradientChunkRows, noisyGradientInChunks } from './gradient-gpu.js';
import { GlobalNoisyGradientRunner, globalNoisyGradientInChunks, globalNoisyGradientRows } from './gradient-global.js';
import { compileNoise } from './compile.js';
import type { NoiseSchedule } from './model.js';
import { checkNoiseGpuInput, probabilitiesInChunks } from './runner-gpu.js';
import { TrajectoryRunner, chooseTrajectoryPath } from './trajectories-gpu.js';
import { GlobalTrajectoryRunner, globalTrajectoryRows } from './trajectories-global.js';
import type { TrajectoryOptions } from './trajectories-cpu.js';

/**
 * The prepared GPU runners of one noisy circuit, kept across calls so that repeated calls
 * (training steps, validation) allocate nothing: one per kind (density matrices, trajectories of
 * T, the gradient of an output kind), each reserving `reserve` rows (or what a larger call needs,
 * within the adapter's chunk budget). A call for another circuit frees the old ones. Trajectories
 * and the gradient run in workgroup memory while a state fits, else in global memory.
 */
export class GpuNoiseRunners {
  private schedule: NoiseSchedule | null = null;
  private readonly runners = new Map<string, { capacity: number; destroy(): void }>();

  constructor(
    private readonly gpu: GpuContext,
    private readonly reserve: number,
  ) {}

  private forSchedule(schedule: NoiseSchedule): void {
    if (schedule !== this.schedule) {
      this.destroy();
      this.schedule = schedule;
    }
  }

  /** The runner under `key`, remade (halving on out-of-memory) when a call needs more rows than it holds. */
  private async get<R extends { capacity: number; destroy(): void }>(key: string, rows: number, max: number, make: (capacity: number) => Promise<R>): Promise<R> {
    const want = Math.min(rows, max);
    const have = this.runners.get(key) as R | undefined;
    if (have && have.capacity >= want) return have;
    have?.destroy();
    this.runners.delete(key);
    const { value } = await allocateSplitting(Math.min(Math.max(want, this.reserve), max), make);
    this.runners.set(key, value);
    return value;
  }

  /** Exact noisy probabilities, rows x 2^n. */
  async density(schedule: NoiseSchedule, input: BatchInput): Promise<Float32Array> {
    this.forSchedule(schedule);
    checkNoiseGpuInput(schedule.circuit, input);
    const runner =
      chooseDensityPath(this.gpu, schedule.circuit.qubits) === 'spread'
        ? await this.get('spread density', input.rows, GlobalDensityRunner.chunkRows(this.gpu, schedule), (c) => GlobalDensityRunner.create(this.gpu, schedule, c))
        : await this.get('density', input.rows, DensityRunner.chunkRows(this.gpu, schedule), (c) => DensityRunner.create(this.gpu, schedule, c));
    return probabilitiesInChunks(this.gpu, runner, input, 'the noisy probabilities (density matrices)');
  }

  /** Noisy probabilities by trajectories, rows x 2^n. */
  async trajectories(schedule: NoiseSchedule, input: BatchInput, draws: TrajectoryOptions): Promise<Float32Array> {
    this.forSchedule(schedule);
    checkNoiseGpuInput(schedule.circuit, input);
    const T = draws.trajectories;
    const real = compileNoise(schedule, 'threshold', true).real;
    const runner =
      chooseTrajectoryPath(this.gpu, schedule.circuit.qubits, real) === 'global'
        ? await this.get(`global trajectories ${T}`, input.rows, globalTrajectoryRows(this.gpu, schedule, T), (c) => GlobalTrajectoryRunner.create(this.gpu, schedule, c, T))
        : await this.get(`trajectories ${T}`, input.rows, TrajectoryRunner.chunkRows(this.gpu, schedule), (c) => TrajectoryRunner.create(this.gpu, schedule, c, T));
    runner.draws.set(draws);
    return probabilitiesInChunks(this.gpu, runner, input, 'the noisy probabilities (trajectories)');
  }

  /** The noise-aware gradient (inputs checked by the caller); with `features`, dL/dfeatures per row too. */
  async gradient(
    schedule: NoiseSchedule, input: BatchInput, output: CircuitOutput, dLdOut: ArrayLike<number>, draws: TrajectoryOptions, features = false,
  ): Promise<{ params: Float64Array; features?: Float64Array }> {
    this.forSchedule(schedule);
    checkNoiseGpuInput(schedule.circuit, input, dLdOut);
    if (schedule.circuit.params === 0 && !features) return { params: new Float64Array(0) };
    const T = draws.trajectories;
    const key = `${JSON.stringify(output)}${features ? ' features' : ''}`;
    if (chooseNoisyGradientPath(this.gpu, schedule.circuit.qubits, compileNoise(schedule, 'threshold', true).real) === 'global') {
      const max = globalNoisyGradientRows(this.gpu, schedule, output, T, { features });
      const runner = await this.get(`global gradient ${T} ${key}`, input.rows, max, (c) => GlobalNoisyGradientRunner.create(this.gpu, schedule, output, c, T, { features }));
      runner.draws.set(draws);
      return globalNoisyGradientInChunks(this.gpu, runner, input, dLdOut);
    }
    const max = noisyGradientChunkRows(this.gpu, schedule, output, T, undefined, features);
    const runner = await this.get(`gradient ${T} ${key}`, input.rows, max, (c) => NoisyGradientRunner.create(this.gpu, schedule, output, c, T, { features }));
    runner.draws.set(draws);
    return noisyGradientInChunks(this.gpu, runner, input, dLdOut);
  }

  destroy(): void {
    for (const r of this.runners.values()) r.destroy();
    this.runners.clear();
    this.schedule = null;
  }
}
