import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QmoeInputError } from '../errors.js';
import { INITS, PRESETS, type InitKind } from '../moe/models.js';
import type { Preset } from '../moe/spec.js';
import { DEFAULT_GRADIENT_TRAJECTORIES } from '../noise/backend.js';
import { noiseNeedsCpu } from '../noise/training.js';
import { MAX_TRAJECTORIES } from '../noise/trajectories-cpu.js';
import { DEFAULT_MOONS, DEFAULT_SPLIT } from '../train/dataset.js';
import { ENGINE_CHOICES, type EngineChoice } from '../train/select-engine.js';
import { IMAGE_HELP, withImageOptions } from './image-options.js';
import { CODE_NOISE_EPOCHS, checkRates, defaultRates, runNoiseSweep } from '../experiments/noise-sweep.js';
import { stderrProgress } from '../experiments/progress.js';
import { parseBudget } from './ablation.js';
import { UsageError, parseOptions } from './args.js';
import { STUDY_OPTIONS } from './study-options.js';
import { choiceOption, datasetSettings, intOption } from './train.js';

export const NOISE_SWEEP_USAGE =
  'usage: qmoe noise-sweep --out DIR [--dataset moons] [--preset paper|code] [--seeds K] [--epochs E] [--rates 0,0.01,...] [--trajectories T] [--noise-aware] [--lr X] [--batch N] [--patience N] [--layers N] [data options] [--quiet]';

export const NOISE_SWEEP_HELP = `${NOISE_SWEEP_USAGE}

The study's robustness result (Table II): accuracy of the quantum router B under depolarizing
noise, against the noiseless linear-router baseline A, for seeds 0..K-1. Writes into DIR:
  runs/<id>.json         one file per training run (written atomically); a sweep run again with
                         the same options trains only the runs that are missing
  noise.json             every run and evaluation, mean and std per error rate, the study's numbers
  noise.md               the table (mean ± std per p, baseline row, the study's numbers beside ours)
  noise.svg, noise.png   accuracy against p with error bars, the baseline as a horizontal line

  --preset paper     (default) the text: A and B trained without noise; B evaluated with a
                     depolarizing channel after every gate at p in 0, 0.005, 0.01, 0.02, 0.03,
                     0.04, 0.05, exactly (density matrices)
  --preset code      the notebooks: B retrained under noise (channels on every qubit after the
                     embedding and after the last layer) for 20 epochs at each p in 0, 0.02, 0.05,
                     0.1, 0.15, 0.2; the study's printout is on training data, so the table shows
                     training and test accuracy
  --noise-aware      paper preset: also train B under the noise at each p > 0
  --seeds K          seeds (default 3)
  --epochs E         epochs per training run (defaults: paper 100 with early stopping, code 20)
  --lr X --batch N --patience N   the rest of the budget (preset defaults as qmoe train)
  --rates LIST       error rates instead of the preset's, e.g. 0,0.02,0.1
  --trajectories T   Monte-Carlo trajectories per row for the noise-aware gradient (default ${DEFAULT_GRADIENT_TRAJECTORIES});
                     losses and accuracies under noise are exact (density matrices)
  --layers N         circuit layers of B (preset default)
  --samples N --noise X --data-seed N   moons data (1000, 0.1, 42; --noise is the data's
                     gaussian noise, not the gate noise)
${IMAGE_HELP}  --backend cpu|auto the CPU engine (default); noise-aware training has no GPU path yet
  --quiet            no progress on stderr

Runs on the float64 CPU engine. Progress goes to stderr; the table is printed on stdout.
`;

export async function noiseSweepCommand(args: string[]): Promise<number> {
  const cmd = 'qmoe noise-sweep';
  const values = parseOptions(
    cmd,
    args,
    {
      ...STUDY_OPTIONS,
      rates: { type: 'string' },
      trajectories: { type: 'string' },
      'noise-aware': { type: 'boolean' },
      layers: { type: 'string' },
    },
    NOISE_SWEEP_USAGE,
  );
  if (values.help) {
    process.stdout.write(NOISE_SWEEP_HELP);
    return 0;
  }
  if (!values.out) throw new UsageError(`${cmd}: --out DIR is required`, NOISE_SWEEP_USAGE);
  const preset = choiceOption<Preset>(cmd, 'preset', values.preset, PRESETS, NOISE_SWEEP_USAGE) ?? 'paper';
  const backend = choiceOption<EngineChoice>(cmd, 'backend', values.backend, ENGINE_CHOICES, NOISE_SWEEP_USAGE) ?? 'cpu';
  if (backend === 'webgpu') throw noiseNeedsCpu();
  const init = choiceOption<InitKind>(cmd, 'init', values.init, INITS, NOISE_SWEEP_USAGE) ?? 'uniform';
  if (values['noise-aware'] && preset === 'code') {
    throw new UsageError(`${cmd}: --noise-aware applies to --preset paper (the code preset always trains under noise)`, NOISE_SWEEP_USAGE);
  }
  const dataset = withImageOptions(cmd, values, datasetSettings(cmd, values, { ...DEFAULT_MOONS, split: DEFAULT_SPLIT }, NOISE_SWEEP_USAGE), NOISE_SWEEP_USAGE);
  const budget = parseBudget(cmd, { ...values, epochs: values.epochs ?? (preset === 'code' ? String(CODE_NOISE_EPOCHS) : undefined) }, preset, init, NOISE_SWEEP_USAGE);
  let rates = defaultRates(preset);
  if (values.rates !== undefined) {
    const parts = values.rates.split(',').map((s) => s.trim());
    rates = parts.map((s) => {
      const v = Number(s);
      if (s === '' || !Number.isFinite(v)) throw new UsageError(`${cmd}: --rates ${JSON.stringify(values.rates)}: must be comma-separated numbers from 0 to 1, e.g. 0,0.01,0.05`, NOISE_SWEEP_USAGE);
      return v;
    });
    checkRates(rates);
  }
  const trajectories = intOption(cmd, 'trajectories', values.trajectories, 1, MAX_TRAJECTORIES, NOISE_SWEEP_USAGE);
  if (trajectories !== undefined && preset === 'paper' && !values['noise-aware']) {
    throw new QmoeInputError('--trajectories', trajectories, 'is for training under noise: add --noise-aware (the paper preset evaluates exactly otherwise) or use --preset code');
  }
  const result = await runNoiseSweep({
    dataset,
    preset,
    seeds: intOption(cmd, 'seeds', values.seeds, 1, 1000, NOISE_SWEEP_USAGE) ?? 3,
    budget,
    rates,
    trajectories,
    noiseAware: values['noise-aware'] === true,
    sizes: { layers: intOption(cmd, 'layers', values.layers, preset === 'paper' ? 0 : 1, 10000, NOISE_SWEEP_USAGE) },
    out: values.out,
    command: ['qmoe noise-sweep', ...args].join(' '),
    progress: stderrProgress(values.quiet),
  });
  process.stdout.write(readFileSync(join(values.out, 'noise.md'), 'utf8'));
  process.stdout.write(`\n${result.points.length} error rates x ${result.seeds} seed(s); wrote ${values.out}/{noise.json, noise.md, noise.svg, noise.png, runs/}\n`);
  return 0;
}
