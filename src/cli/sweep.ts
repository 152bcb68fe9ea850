import { INITS, PRESETS, type InitKind } from '../moe/models.js';
import type { Preset } from '../moe/spec.js';
import { DEFAULT_MOONS, DEFAULT_SPLIT } from '../train/dataset.js';
import { ENGINE_CHOICES, type EngineChoice } from '../train/select-engine.js';
import { IMAGE_HELP, withImageOptions } from '../experiments/data-options.js';
import { stderrProgress } from '../experiments/progress.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSweep } from '../experiments/sweep.js';
import { parseBudget } from './ablation.js';
import { UsageError, parseOptions } from './args.js';
import { STUDY_OPTIONS } from './study-options.js';
import { choiceOption, datasetSettings, intOption } from './train.js';

export const SWEEP_USAGE =
  'usage: qmoe sweep --out DIR [--dataset moons|mnist|fashion] [--preset paper|code] [--qubits-list 2,3,4] [--layers-list 1,2,4,8] [--widths 2,4,8,16,32,64] [--seeds K] [--epochs N] [--lr X] [--batch N] [--patience N] [--backend cpu|cpu64|webgpu|auto] [data options] [--quiet]';

export const SWEEP_HELP = `${SWEEP_USAGE}

The study's Fig. 2: test accuracy against trainable router parameters, for the quantum router
over qubits x layers and for the classical routers (linear, and one-hidden-layer MLPs of the given
widths), same experts, data and budget. Writes DIR/sweep.json, DIR/sweep.md, DIR/sweep.svg/png and
DIR/runs/ (one file per run, written atomically: an interrupted sweep resumes).

  --qubits-list L   quantum router qubit counts (default: the feature count, and +1 on moons)
  --layers-list L   circuit layers (default 1,2,4,8,12 on moons; 1,2,4,8 otherwise)
  --widths L        MLP hidden widths (default 2,4,8,16,32,64, the code preset's sweep)
  --seeds K         seeds per point (default 1)
  --epochs N --lr X --batch N --patience N   the budget (preset defaults as qmoe train)
  --samples N --noise X --data-seed N        moons data
${IMAGE_HELP}  --backend NAME    cpu (fast CPU engine), cpu64 (float64 reference), webgpu or auto (default auto)
`;

function list(cmd: string, name: string, v: unknown, min: number, max: number): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = String(v).split(',');
  return parts.map((p) => {
    if (!/^\s*\d+\s*$/.test(p) || Number(p) < min || Number(p) > max) throw new UsageError(`${cmd}: --${name} ${JSON.stringify(v)}: must be comma-separated integers from ${min} to ${max}`, SWEEP_USAGE);
    return Number(p);
  });
}

export async function sweepCommand(args: string[]): Promise<number> {
  const cmd = 'qmoe sweep';
  const values = parseOptions(
    cmd,
    args,
    {
      ...STUDY_OPTIONS,
      'qubits-list': { type: 'string' },
      'layers-list': { type: 'string' },
      widths: { type: 'string' },
    },
    SWEEP_USAGE,
  );
  if (values.help) {
    process.stdout.write(SWEEP_HELP);
    return 0;
  }
  if (!values.out) throw new UsageError(`${cmd}: --out DIR is required`, SWEEP_USAGE);
  const preset = choiceOption<Preset>(cmd, 'preset', values.preset, PRESETS, SWEEP_USAGE) ?? 'paper';
  const backend = choiceOption<EngineChoice>(cmd, 'backend', values.backend, ENGINE_CHOICES, SWEEP_USAGE) ?? 'auto';
  const init = choiceOption<InitKind>(cmd, 'init', values.init, INITS, SWEEP_USAGE) ?? 'uniform';
  const dataset = withImageOptions(cmd, values, datasetSettings(cmd, values, { ...DEFAULT_MOONS, split: DEFAULT_SPLIT }, SWEEP_USAGE), SWEEP_USAGE);
  const features = dataset.name === 'moons' ? 2 : (dataset.image?.components ?? 8);
  const r = await runSweep({
    dataset,
    preset,
    seeds: intOption(cmd, 'seeds', values.seeds, 1, 1000, SWEEP_USAGE) ?? 1,
    budget: parseBudget(cmd, values, preset, init, SWEEP_USAGE),
    backend,
    out: values.out,
    qubits: list(cmd, 'qubits-list', values['qubits-list'], 1, 20) ?? (dataset.name === 'moons' ? [2, 3] : [features]),
    layers: list(cmd, 'layers-list', values['layers-list'], 1, 1000) ?? (dataset.name === 'moons' ? [1, 2, 4, 8, 12] : [1, 2, 4, 8]),
    widths: list(cmd, 'widths', values.widths, 1, 4096) ?? [2, 4, 8, 16, 32, 64],
    command: ['qmoe sweep', ...args].join(' '),
    progress: stderrProgress(values.quiet),
  });
  process.stdout.write(readFileSync(join(values.out, 'sweep.md'), 'utf8'));
  process.stdout.write(`${r.points.length} points; wrote ${values.out}/{sweep.json, sweep.md, sweep.svg, sweep.png, runs/}\n`);
  return 0;
}
