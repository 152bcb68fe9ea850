import { dirname } from 'node:path';
import { QmoeInputError } from '../errors.js';
import { loadModel } from '../train/checkpoint.js';
import { normalizeSettings, prepareData, type DatasetSettings } from '../train/dataset.js';
import { finishInterruptedWrite } from '../train/result-set.js';
import { scoreSplit } from '../train/score.js';
import { createEngine } from '../train/select-engine.js';
import { choice, flag, defineCommand, int, text } from './args.js';
import { MAX_SEED } from '../data/rng.js';
import { quantumParts } from '../moe/mixture-spec.js';
import { DATA_OPTIONS, ENGINE_OPTION, datasetFrom, required } from './common-options.js';
import { EVAL_USAGE } from './usages.js';
import { GATE_NOISE_OPTIONS, noisePlacementSummary } from './gate-noise-options.js';
import { type EvalNoise, evalNoise } from './eval-noise.js';
import type { ModelSpec } from '../moe/spec.js';
import type { TrainingEngine } from '../train/engine.js';
import type { GateNoiseRecord } from '../noise/training.js';

export const EVAL_HELP = `${EVAL_USAGE}

Reloads a model written by qmoe train (DIR/model.json), regenerates its data set from the settings
stored in the model (each of --dataset, --samples, --noise, --data-seed overrides one), applies the
saved feature scaler and prints the accuracy and F1 on the test split (--split to choose another).

  --data-file F.csv  a model trained on a CSV file reads that file as qmoe train was given it
                  (relative to where it ran), or F.csv: the model's label column (unless
                  --label-column is given) and class names, which F.csv must have

  --route-seed N  a model trained with --route-shots routes each row by measurement shots drawn
                  at random: the seed of those draws (default 0). Its accuracy varies with the
                  draws, so it need not equal the one qmoe train printed.
  --gate-noise P  score the quantum circuits under depolarizing noise of rate P, placed as the
                  model's preset places it (as qmoe train --gate-noise). A model trained with
                  --gate-noise is scored under that noise unless this is given (--gate-noise 0:
                  the noiseless circuits), so eval reproduces the test accuracy train printed.
                  Exact density matrices for small circuits, else --trajectories T (default: the
                  model's, or 32); --shots S samples every output from S shots. On the CPU in
                  float64 (--backend webgpu: on the GPU).
  --json     one JSON object: {model, dataset, split, rows, accuracy, f1, loss, backend, routeSeed,
             gateNoise: null or {p, placement, trajectories, forward, seed, circuit, shots, circuits,
             asTrained}}
`;

const EVAL_OPTIONS = { model: text(), ...DATA_OPTIONS, split: choice(['test', 'validation', 'train']), 'route-seed': int(0, MAX_SEED), ...GATE_NOISE_OPTIONS, ...ENGINE_OPTION, json: flag() } as const;

/** Features a data set gives (moons: 2; image sets: their PCA components). */
function featureCount(settings: DatasetSettings): number {
  return settings.name === 'moons' ? 2 : (normalizeSettings(settings).image?.components ?? 8);
}

export const EVAL = defineCommand({
  usage: EVAL_USAGE, help: EVAL_HELP, options: EVAL_OPTIONS,
  async run(values, { command: cmd }) {
    const path = required(cmd, 'model', 'FILE', values.model, EVAL_USAGE);
    const split = values.split ?? 'test';
    const backend = values.backend ?? 'auto';
    // A model in a result set whose writer was killed mid-way: finish that write first (see src/train/result-set.ts).
    finishInterruptedWrite(dirname(path));
    const model = loadModel(path);
    const picked = datasetFrom(cmd, values, model.dataset, EVAL_USAGE);
    if (picked.name !== model.dataset.name && featureCount(picked) !== model.spec.features) {
      throw new QmoeInputError(
        '--dataset',
        picked.name,
        `the model was trained on ${model.dataset.name} (${model.spec.features} features); ${picked.name} has ${featureCount(picked)}: evaluate it on --dataset ${model.dataset.name}`,
      );
    }
    // Image data sets keep their stored source, sizes and PCA settings (when the name is unchanged);
    // a CSV model read from another --data-file keeps its label column (unless one is given) and
    // its class names, which the file must have (else a class would silently take another's index).
    const dataset = picked.name === model.dataset.name ? { ...model.dataset, ...picked, ...csvOf(model.dataset, picked) } : picked;
    const data = readData(dataset, model, values['data-file'] !== undefined);
    if (data.features !== model.spec.features || data.classes !== model.spec.classes) {
      throw new QmoeInputError('--dataset', dataset.name, `has ${data.features} features and ${data.classes} classes; the model (trained on ${model.dataset.name}) takes ${model.spec.features} and ${model.spec.classes}`);
    }
    const shots = model.spec.routeShots;
    const routeSeed = values['route-seed'] ?? 0;
    const noise = evalNoise(model.spec, model.training.gateNoise ?? null, values);
    const { engine, note, record } = noise ? await noisyEngine(model.spec, noise, backend) : { ...(await createEngine(model.spec, backend, { lr: 0.01, routeSeed })), record: null };
    try {
      if (note && !values.json) process.stderr.write(`qmoe eval: ${note}\n`);
      await engine.setParams(Float64Array.from(model.params));
      await engine.load(split, data.splits[split]);
      const stats = await engine.evaluate(split);
      const score = await scoreSplit(engine, data, split);
      const out = {
        model: path, dataset, split, rows: score.rows, accuracy: score.accuracy, f1: score.f1, loss: stats.loss, backend: engine.kind, ...(shots !== undefined ? { routeSeed } : {}),
        gateNoise: noise && record ? { ...record, circuits: quantumParts(model.spec), asTrained: noise.asTrained } : null,
      };
      if (values.json) {
        process.stdout.write(JSON.stringify(out) + '\n');
      } else {
        process.stdout.write(
          `model     ${path} (${model.spec.router} router, ${model.spec.preset} preset)\n` +
            `data      ${data.source}; ${split} split ${score.rows} rows\n` +
            (shots !== undefined ? `routing   ${shots} measurement shots per row, drawn with --route-seed ${routeSeed} (other seeds draw others)\n` : '') +
            (noise && record ? `noise     ${noiseLine(model.spec, record, noise.asTrained)}\n` : model.training.gateNoise ? 'noise     none (the model was trained under gate noise; scored here with the noiseless circuits)\n' : '') +
            `accuracy  ${(100 * score.accuracy).toFixed(2)}%\nF1        ${score.f1.toFixed(4)}\nloss      ${stats.loss.toFixed(4)}\n`,
        );
      }
      return 0;
    } finally {
      engine.dispose();
    }
  },
});

/**
 * The evaluation data. A model trained on a CSV file names that file as qmoe train was given it
 * (relative to where it ran): one that cannot be read from here asks for --data-file.
 */
function readData(dataset: DatasetSettings, model: ReturnType<typeof loadModel>, fileGiven: boolean) {
  try {
    return prepareData(dataset, model.spec.preset, model.scaler);
  } catch (e) {
    const file = dataset.csv?.file;
    if (fileGiven || !file || !(e instanceof QmoeInputError) || e.argument !== '--data-file' || !/cannot be read/.test(e.limit)) throw e;
    throw new QmoeInputError('--data-file', file, `${e.limit}: the model was trained on this file as qmoe train was given it (relative to where it ran); pass --data-file PATH to say where it is now`);
  }
}

/** The csv settings of a CSV model evaluated on `picked`: the model's, with the file (and label column) given. */
function csvOf(stored: DatasetSettings, picked: DatasetSettings): Pick<DatasetSettings, 'csv'> {
  if (!stored.csv || !picked.csv) return {};
  const labelColumn = picked.csv.labelColumn ?? stored.csv.labelColumn;
  return { csv: { ...stored.csv, file: picked.csv.file, ...(labelColumn !== undefined ? { labelColumn } : {}) } };
}

/** The noisy float64 engine of an evaluation under gate noise, and its record; its circuits on the GPU with --backend webgpu. */
async function noisyEngine(spec: ModelSpec, noise: EvalNoise, backend: string): Promise<{ engine: TrainingEngine; note?: string; record: GateNoiseRecord }> {
  const gpu = backend === 'webgpu' ? await (await import('../gpu/acquire.js')).acquireForBackend('webgpu') : null;
  const { createNoisyCpuEngine } = await import('../noise/training.js');
  const made = createNoisyCpuEngine(spec, { lr: 0.01, ...noise.options, gpu });
  const note = backend === 'auto' ? 'scoring under gate noise: the CPU engine with the circuits in float64 (--backend webgpu runs them on the GPU)' : undefined;
  return { engine: made.engine, note, record: made.noise };
}

/** "p 0.05 after every gate of the router; exact density matrices, as trained" and how to change it. */
function noiseLine(spec: ModelSpec, n: GateNoiseRecord, asTrained: boolean): string {
  const forward = n.forward === 'density-matrix' ? 'exact density matrices' : `${n.trajectories} trajectories per row (seed ${n.seed})`;
  const how = asTrained ? 'as trained (--gate-noise 0 for the noiseless circuits)' : 'as given';
  const shots = n.shots !== null ? `, ${n.shots} shots per row (drawn afresh: the accuracy need not equal the one qmoe train printed)` : '';
  return `${noisePlacementSummary({ ...n, circuits: quantumParts(spec) })}; ${forward}${shots}, ${how}`;
}
