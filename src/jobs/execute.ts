import { canonical, trainRun, type RunRecord, type TrainHooks } from '../experiments/runner.js';
import type { NoiseRunConfig } from '../experiments/noise-run.js';
import { prepareData, type PreparedData } from '../train/dataset.js';
import type { RunSpec } from './spec.js';
import { jobTestHook } from './test-hook.js';

/**
 * The data sets a process has prepared, by settings and preset: the runs of a study share one
 * data set, which a worker then makes once. Owned by whoever runs specs (a worker process, a
 * study in this process).
 */
export class DataCache {
  private readonly made = new Map<string, PreparedData>();

  get(spec: RunSpec): PreparedData {
    const key = canonical({ dataset: spec.config.dataset, preset: spec.preset });
    let data = this.made.get(key);
    if (!data) {
      data = prepareData(spec.config.dataset, spec.preset);
      this.made.set(key, data);
    }
    return data;
  }
}

/**
 * Trains the run a spec describes and returns its record: the noise sweep's runs on a CPU
 * engine (without noise on spec.backend's, cpu or cpu64; under noise on the float64 one), the other studies' on the engine `spec.backend` selects.
 * The record passes through JSON, as every record that comes from a file, a worker process or a
 * queue does, so that the tables cannot depend on where a run was made.
 */
export async function executeRun(spec: RunSpec, hooks: TrainHooks, cache: DataCache): Promise<RunRecord> {
  await jobTestHook(spec.id);
  const data = cache.get(spec);
  const { spec: model, budget } = spec.config;
  // The noise modules load for the noise sweep's runs only: the other studies' workers start faster.
  const run =
    spec.study === 'noise-sweep'
      ? await (await import('../experiments/noise-run.js')).trainNoiseRun(spec.id, model, data, budget, spec.seed, (spec.config as NoiseRunConfig).noise, hooks, spec.backend)
      : await trainRun(spec.id, model, data, budget, spec.seed, spec.backend, hooks);
  return JSON.parse(JSON.stringify(run)) as RunRecord;
}
