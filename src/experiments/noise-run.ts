import type { ModelSpec } from '../moe/spec.js';
import { type GateNoiseRecord, type RouterNoisePlacement, createNoisyCpuEngine } from '../noise/training.js';
import type { NoiseConvention } from '../noise/model.js';
import { createEngine, type EngineChoice } from '../train/select-engine.js';
import type { PreparedData } from '../train/dataset.js';
import { trainOnEngine, type Budget, type RunConfig, type RunRecord, type TrainHooks } from './runner.js';

/** Config of a noise-sweep run for resume checks: the runner's plus the noise it trained under (null: none). */
export interface NoiseRunConfig extends RunConfig {
  /** `convention` only when not pennylane (the default). */
  noise: { p: number; placement: RouterNoisePlacement; trajectories: number; convention?: NoiseConvention } | null;
}

export type NoiseRunRecord = RunRecord & { config: NoiseRunConfig; noise: GateNoiseRecord | null };

/**
 * Trains one model of a noise sweep, without noise (`noise` null) on the CPU engine `backend`
 * chooses (cpu: the fast engine, as the ablation's runs; cpu64: the float64 reference), or with
 * the quantum router's circuit under noise at rate noise.p on the float64 noisy engine, and
 * scores the kept parameters (under the same noise).
 */
export async function trainNoiseRun(
  id: string,
  spec: ModelSpec,
  data: PreparedData,
  budget: Budget,
  seed: number,
  noise: NoiseRunConfig['noise'],
  hooks: TrainHooks = {},
  backend: EngineChoice = 'cpu64',
): Promise<NoiseRunRecord> {
  const made = noise
    ? createNoisyCpuEngine(spec, { lr: budget.lr, p: noise.p, trajectories: noise.trajectories, placement: noise.placement, convention: noise.convention, seed })
    : { engine: (await createEngine(spec, backend === 'cpu64' ? 'cpu64' : 'cpu', { lr: budget.lr })).engine, noise: null };
  const engine = made.engine;
  try {
    const config: NoiseRunConfig = { dataset: data.settings, spec, budget, noise };
    return { ...(await trainOnEngine(engine, id, spec, data, budget, seed, config, hooks)), config, noise: made.noise };
  } finally {
    engine.dispose();
  }
}
