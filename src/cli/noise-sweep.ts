import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QmoeInputError } from '../errors.js';
import { DEFAULT_GRADIENT_TRAJECTORIES } from '../noise/backend.js';
import { noiseNeedsCpu } from '../noise/training.js';
import { MAX_TRAJECTORIES } from '../noise/trajectories-cpu.js';
import { CODE_NOISE_EPOCHS, checkRates, defaultRates, planNoiseSweep, runNoiseSweep, type NoiseSweepOptions } from '../experiments/noise-sweep.js';
import { stderrProgress } from '../experiments/progress.js';
import { UsageError, choice, flag, int, nums, defineCommand, type OptionValues } from './args.js';
import { NOISE_CONVENTIONS } from '../noise/model.js';
import { STUDY_OPTIONS, budgetFrom, dataFrom, required } from './common-options.js';
import { EXECUTION_HELP, EXECUTION_OPTIONS, executionFrom, recordedCommand } from './execution-options.js';
import { IMAGE_HELP } from './image-options.js';
import type { StudyCommand } from './study-command.js';

export const NOISE_SWEEP_USAGE =
  'usage: qmoe noise-sweep --out DIR [--dataset moons] [--preset paper|code] [--seeds K] [--epochs E] [--rates 0,0.01,...] [--noise-convention pennylane|qiskit] [--trajectories T] [--noise-aware] [--lr X] [--batch N] [--patience N] [--layers N] [--workers N|auto | --queue URL] [data options] [--quiet]';

export const NOISE_SWEEP_HELP = `${NOISE_SWEEP_USAGE}

The study's robustness result (Table II): accuracy of the quantum router B under depolarizing
noise, against the noiseless linear-router baseline A, for seeds 0..K-1 (mean ± std, median, min,
95% bootstrap intervals; B at each rate against A paired by seed, and the rate at which B falls
below A). Writes into DIR:
  runs/<id>.json         one file per training run (written atomically; <id> is the run's name and
                         a hash of its configuration and seed); a sweep run again with the same
                         options trains only the runs that are missing
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
  --noise-convention C   what a rate means: pennylane (default: PennyLane's DepolarizingChannel(p),
                     X, Y, Z each p/3; after a two-qubit gate the 15 Pauli pairs each p/15) or
                     qiskit (Qiskit Aer's depolarizing_error(p, n), the tool the study's text
                     names: rho -> (1 - p) rho + p I/2^n, a Pauli error with probability 3p/4 on
                     one qubit and 15p/16 on two)
  --seeds K          seeds (default 20)
  --epochs E         epochs per training run (defaults: paper 100 with early stopping, code 20)
  --lr X --batch N --patience N   the rest of the budget (preset defaults as qmoe train)
  --rates LIST       error rates instead of the preset's, e.g. 0,0.02,0.1
  --trajectories T   Monte-Carlo trajectories per row for the noise-aware gradient (default ${DEFAULT_GRADIENT_TRAJECTORIES});
                     losses and accuracies under noise are exact (density matrices)
  --layers N         circuit layers of B (preset default)
  --samples N --noise X --data-seed N   moons data (1000, 0.1, 42; --noise is the data's
                     gaussian noise, not the gate noise)
${IMAGE_HELP}  --backend cpu|cpu64|auto   the noiseless runs on the fast CPU engine (cpu, auto: the
                     default) or the float64 reference (cpu64); runs under noise train on the
                     float64 noisy engine; noise-aware training has no GPU path in this command
${EXECUTION_HELP}  --quiet            no progress on stderr

Evaluations under noise are exact (float64 density matrices). Progress goes to stderr; the table is printed on stdout.
`;

const NOISE_SWEEP_OPTIONS = {
  ...STUDY_OPTIONS,
  ...EXECUTION_OPTIONS,
  rates: nums(0, 1, { what: 'an error rate' }),
  trajectories: int(1, MAX_TRAJECTORIES),
  'noise-aware': flag(),
  layers: int(0, 10000),
  'noise-convention': choice(NOISE_CONVENTIONS),
} as const;

/** The noise sweep's options from the command line. */
function noiseSweepOptions(values: OptionValues<typeof NOISE_SWEEP_OPTIONS>, cmd: string, args: string[]): NoiseSweepOptions {
  const out = required(cmd, 'out', 'DIR', values.out, NOISE_SWEEP_USAGE);
  const preset = values.preset ?? 'paper';
  if (values.backend === 'webgpu') throw noiseNeedsCpu();
  if (values['noise-aware'] && preset === 'code') {
    throw new UsageError(`${cmd}: --noise-aware applies to --preset paper (the code preset always trains under noise)`, NOISE_SWEEP_USAGE);
  }
  const trajectories = values.trajectories;
  if (trajectories !== undefined && preset === 'paper' && !values['noise-aware']) {
    throw new QmoeInputError('--trajectories', trajectories, 'is for training under noise: add --noise-aware (the paper preset evaluates exactly otherwise) or use --preset code');
  }
  return {
    dataset: dataFrom(cmd, values, NOISE_SWEEP_USAGE),
    preset,
    seeds: values.seeds ?? 20,
    convention: values['noise-convention'],
    backend: values.backend === 'cpu64' ? 'cpu64' : 'cpu',
    budget: budgetFrom(values, preset, preset === 'code' ? CODE_NOISE_EPOCHS : undefined),
    rates: values.rates ? checkRates(values.rates) : defaultRates(preset),
    trajectories,
    noiseAware: values['noise-aware'] === true,
    sizes: { layers: values.layers },
    out,
    execution: executionFrom(cmd, values, NOISE_SWEEP_USAGE),
    command: recordedCommand('noise-sweep', args),
    progress: stderrProgress(values.quiet),
  };
}

export const NOISE_SWEEP = defineCommand({
  usage: NOISE_SWEEP_USAGE, help: NOISE_SWEEP_HELP, options: NOISE_SWEEP_OPTIONS,
  async run(values, { command: cmd, args }) {
    const o = noiseSweepOptions(values, cmd, args);
    const result = await runNoiseSweep(o);
    process.stdout.write(readFileSync(join(o.out, 'noise.md'), 'utf8'));
    process.stdout.write(`\n${result.points.length} error rates x ${result.seeds} seed(s); wrote ${o.out}/{noise.json, noise.md, noise.svg, noise.png, runs/}\n`);
    return 0;
  },
});

export const NOISE_SWEEP_STUDY: StudyCommand = {
  name: 'noise-sweep',
  command: NOISE_SWEEP,
  out: (values) => required('qmoe noise-sweep', 'out', 'DIR', (values as OptionValues<typeof NOISE_SWEEP_OPTIONS>).out, NOISE_SWEEP_USAGE),
  plan: (values, { command, args }) => planNoiseSweep(noiseSweepOptions(values as OptionValues<typeof NOISE_SWEEP_OPTIONS>, command, args)),
};
