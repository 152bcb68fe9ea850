import type { ModelSpec } from '../moe/spec.js';
import { type GateNoiseRecord, type RouterNoisePlacement, createNoisyCpuEngine } from '../noise/training.js';
import { createCpuEngine } from '../train/cpu-engine.js';
import type { PreparedData } from '../train/dataset.js';
import { trainOnEngine, type Budget, type RunConfig, type RunRecord, type TrainHooks } from './runner.js';

/** Config of a noise-sweep run for resume checks: the runner's plus the noise it trained under (null: none). */
export interface NoiseRunConfig extends RunConfig {
  noise: { p: number; placement: RouterNoisePlacement; trajectories: number } | null;
}

export type NoiseRunRecord = RunRecord & { config: NoiseRunConfig; noise: GateNoiseRecord | null };

/**
 * Trains one model of a noise sweep on the CPU engine, without noise (`noise` null) or with the
 * quantum router's circuit under noise at rate noise.p, and scores the kept parameters (under
 * the same noise).
 */
export async function trainNoiseRun(
  id: string,
  spec: ModelSpec,
  data: PreparedData,
  budget: Budget,
  seed: number,
  noise: NoiseRunConfig['noise'],
  hooks: TrainHooks = {},
): Promise<NoiseRunRecord> {
  const made = noise
    ? createNoisyCpuEngine(spec, { lr: budget.lr, p: noise.p, trajectories: noise.trajectories, placement: noise.placement, seed })
    : { engine: createCpuEngine(spec, { lr: budget.lr }), noise: null };
  const engine = made.engine;
  try {
    const config: NoiseRunConfig = { dataset: data.settings, spec, budget, noise };
    return { ...(await trainOnEngine(engine, id, spec, data, budget, seed, config, hooks)), config, noise: made.noise };
  } finally {
    engine.dispose();
  }
}
