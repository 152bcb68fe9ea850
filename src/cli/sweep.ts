import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stderrProgress } from '../experiments/progress.js';
import { planSweep, runSweep, type SweepOptions } from '../experiments/sweep.js';
import { UsageError, ints, defineCommand, text, type OptionValues } from './args.js';
import { READOUT_OPTIONS, STUDY_OPTIONS, budgetFrom, dataFrom, readoutFrom, required } from './common-options.js';
import { EXECUTION_HELP, EXECUTION_OPTIONS, executionFrom, recordedCommand } from './execution-options.js';
import { IMAGE_HELP } from './image-options.js';
import type { StudyCommand } from './study-command.js';

export const SWEEP_USAGE =
  'usage: qmoe sweep --out DIR [--dataset moons|mnist|fashion] [--preset paper|code] [--qubits-list 2,3,4] [--layers-list 1,2,4,8] [--widths 2,4,8,16,32,64] [--mlp-layers 8-4,16-8-4] [--readout blocks|z|parity] [--reupload] [--seeds K] [--epochs N] [--lr X] [--batch N] [--patience N] [--backend cpu|cpu64|webgpu|auto] [--workers N|auto | --queue URL] [data options] [--quiet]';

export const SWEEP_HELP = `${SWEEP_USAGE}

The study's Fig. 2: test accuracy against trainable router parameters, for the quantum router
over qubits x layers and for the classical routers (linear, one-hidden-layer MLPs of the given
widths and MLPs of several hidden layers), same experts, data, budget and seeds. The table gives
mean ± std, median, min, a 95% bootstrap interval and the collapse rate per point, and the quantum
router at the study's size against every classical router (paired permutation p-values). Writes
DIR/sweep.json, DIR/sweep.md, DIR/sweep.svg/png (error bars: the 95% intervals) and DIR/runs/ (one
file per run, <point>-seed<k>-<hash>.json, written atomically: an interrupted sweep resumes).

  --qubits-list L   quantum router qubit counts (default: the feature count, and +1 on moons)
  --layers-list L   circuit layers (default 1,2,4,8,12 on moons; 1,2,4,8 otherwise)
  --widths L        MLP hidden widths (default 2,4,8,16,32,64, the code preset's sweep)
  --mlp-layers L    MLPs of several hidden layers, widths joined by "-" (paper preset default:
                    16-8-4, Table I's deep router; on 8 PCA features also 8-4, which has the 128
                    router parameters of the text's MNIST "classical" router; code preset: none;
                    "none" for none)
  --readout R --reupload   the quantum points' readout and re-uploading (qmoe help train)
  --seeds K         seeds per point (default 20)
  --epochs N --lr X --batch N --patience N   the budget (preset defaults as qmoe train)
  --samples N --noise X --data-seed N        moons data
${IMAGE_HELP}  --backend NAME    cpu (fast CPU engine), cpu64 (float64 reference), webgpu or auto (default auto)
${EXECUTION_HELP}`;

const SWEEP_OPTIONS = { ...STUDY_OPTIONS, ...EXECUTION_OPTIONS, ...READOUT_OPTIONS, 'qubits-list': ints(1, 20), 'layers-list': ints(1, 1000), widths: ints(1, 4096), 'mlp-layers': text() } as const;

/** --mlp-layers 8-4,16-8-4: hidden widths per MLP. */
function deepMlps(cmd: string, value: string): number[][] {
  if (value.trim() === 'none') return [];
  return value.split(',').map((item) => {
    const widths = item.trim().split('-').map(Number);
    if (widths.length < 1 || widths.length > 64 || !widths.every((w) => Number.isInteger(w) && w >= 1 && w <= 4096) || !/^\d+(-\d+)*$/.test(item.trim())) {
      throw new UsageError(`${cmd}: --mlp-layers ${JSON.stringify(value)}: each item must be hidden widths from 1 to 4096 joined by "-", e.g. 8-4,16-8-4`, SWEEP_USAGE);
    }
    return widths;
  });
}

/** The sweep's options from the command line. */
function sweepOptions(values: OptionValues<typeof SWEEP_OPTIONS>, cmd: string, args: string[]): SweepOptions {
  const preset = values.preset ?? 'paper';
  const dataset = dataFrom(cmd, values, SWEEP_USAGE);
  const features = dataset.name === 'moons' ? 2 : (dataset.image?.components ?? 8);
  return {
    dataset,
    preset,
    seeds: values.seeds ?? 20,
    budget: budgetFrom(values, preset),
    backend: values.backend ?? 'auto',
    out: required(cmd, 'out', 'DIR', values.out, SWEEP_USAGE),
    qubits: values['qubits-list'] ?? (dataset.name === 'moons' ? [2, 3] : [features]),
    layers: values['layers-list'] ?? (dataset.name === 'moons' ? [1, 2, 4, 8, 12] : [1, 2, 4, 8]),
    widths: values.widths ?? [2, 4, 8, 16, 32, 64],
    deep: values['mlp-layers'] !== undefined ? deepMlps(cmd, values['mlp-layers']) : preset === 'code' ? [] : features === 8 ? [[8, 4], [16, 8, 4]] : [[16, 8, 4]],
    ...readoutFrom(values),
    execution: executionFrom(cmd, values, SWEEP_USAGE),
    command: recordedCommand('sweep', args),
    progress: stderrProgress(values.quiet),
  };
}

export const SWEEP = defineCommand({
  usage: SWEEP_USAGE, help: SWEEP_HELP, options: SWEEP_OPTIONS,
  async run(values, { command: cmd, args }) {
    const o = sweepOptions(values, cmd, args);
    const r = await runSweep(o);
    process.stdout.write(readFileSync(join(o.out, 'sweep.md'), 'utf8'));
    process.stdout.write(`${r.points.length} points; wrote ${o.out}/{sweep.json, sweep.md, sweep.svg, sweep.png, runs/}\n`);
    return 0;
  },
});

export const SWEEP_STUDY: StudyCommand = {
  name: 'sweep',
  command: SWEEP,
  out: (values) => required('qmoe sweep', 'out', 'DIR', (values as OptionValues<typeof SWEEP_OPTIONS>).out, SWEEP_USAGE),
  plan: (values, { command, args }) => planSweep(sweepOptions(values as OptionValues<typeof SWEEP_OPTIONS>, command, args)),
};
