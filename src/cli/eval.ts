import { QmoeInputError } from '../errors.js';
import { loadModel } from '../train/checkpoint.js';
import { prepareData } from '../train/dataset.js';
import { ENGINE_CHOICES, createEngine, type EngineChoice } from '../train/select-engine.js';
import { UsageError, parseOptions } from './args.js';
import { choiceOption, datasetSettings, scoreSplit } from './train.js';

export const EVAL_USAGE = 'usage: qmoe eval --model FILE [--dataset moons] [--samples N] [--noise X] [--data-seed N] [--split test|validation|train] [--backend cpu|cpu64|webgpu|auto] [--json]';

export const EVAL_HELP = `${EVAL_USAGE}

Reloads a model written by qmoe train (DIR/model.json), regenerates its data set from the settings
stored in the model (each of --dataset, --samples, --noise, --data-seed overrides one), applies the
saved feature scaler and prints the accuracy and F1 on the test split (--split to choose another).

  --json     one JSON object: {model, dataset, split, rows, accuracy, f1, loss, backend}
`;

const SPLITS = ['test', 'validation', 'train'] as const;

export async function evalCommand(args: string[]): Promise<number> {
  const cmd = 'qmoe eval';
  const values = parseOptions(
    cmd,
    args,
    {
      model: { type: 'string' },
      dataset: { type: 'string' },
      samples: { type: 'string' },
      noise: { type: 'string' },
      'data-seed': { type: 'string' },
      split: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    EVAL_USAGE,
  );
  if (values.help) {
    process.stdout.write(EVAL_HELP);
    return 0;
  }
  if (values.model === undefined || values.model === '') throw new UsageError(`${cmd}: --model FILE is required`, EVAL_USAGE);
  const split = choiceOption(cmd, 'split', values.split, SPLITS, EVAL_USAGE) ?? 'test';
  const backend = choiceOption<EngineChoice>(cmd, 'backend', values.backend, ENGINE_CHOICES, EVAL_USAGE) ?? 'auto';
  const model = loadModel(values.model);
  const picked = datasetSettings(cmd, values, model.dataset, EVAL_USAGE);
  // Image data sets keep their stored source, sizes and PCA settings (when the name is unchanged).
  const dataset = picked.name === model.dataset.name ? { ...model.dataset, ...picked } : picked;
  const data = prepareData(dataset, model.spec.preset, model.scaler);
  if (data.features !== model.spec.features || data.classes !== model.spec.classes) {
    throw new QmoeInputError('--dataset', dataset.name, `has ${data.features} features and ${data.classes} classes; the model takes ${model.spec.features} and ${model.spec.classes}`);
  }
  const { engine, note } = await createEngine(model.spec, backend, { lr: 0.01 });
  try {
    if (note && !values.json) process.stderr.write(`qmoe eval: ${note}\n`);
    await engine.setParams(Float64Array.from(model.params));
    await engine.load(split, data.splits[split]);
    const stats = await engine.evaluate(split);
    const score = await scoreSplit(engine, data, split);
    const out = { model: values.model, dataset, split, rows: score.rows, accuracy: score.accuracy, f1: score.f1, loss: stats.loss, backend: engine.kind };
    if (values.json) {
      process.stdout.write(JSON.stringify(out) + '\n');
    } else {
      process.stdout.write(
        `model     ${values.model} (${model.spec.router} router, ${model.spec.preset} preset)\n` +
          `data      ${dataset.name}, ${dataset.samples} samples, noise ${dataset.noise}, seed ${dataset.seed}; ${split} split ${score.rows} rows\n` +
          `accuracy  ${(100 * score.accuracy).toFixed(2)}%\nF1        ${score.f1.toFixed(4)}\nloss      ${stats.loss.toFixed(4)}\n`,
      );
    }
    return 0;
  } finally {
    engine.dispose();
  }
}
