import { QmoeInputError } from '../errors.js';
import { INITS, PRESETS, type InitKind } from '../moe/models.js';
import type { Preset } from '../moe/spec.js';
import { DEFAULT_MOONS, DEFAULT_SPLIT, type DatasetSettings } from '../train/dataset.js';
import { ENGINE_CHOICES, type EngineChoice } from '../train/select-engine.js';
import { presetTraining } from '../train/trainer.js';
import { ablationMarkdown, runAblation } from '../experiments/ablation.js';
import { IMAGE_HELP, withImageOptions } from '../experiments/data-options.js';
import { stderrProgress } from '../experiments/progress.js';
import type { Budget } from '../experiments/runner.js';
import { UsageError, parseOptions } from './args.js';
import { STUDY_OPTIONS } from './study-options.js';
import { choiceOption, datasetSettings, intOption, numberOption } from './train.js';

export const ABLATION_USAGE =
  'usage: qmoe ablation --out DIR [--dataset moons|mnist|fashion] [--preset paper|code] [--seeds K] [--epochs N] [--batch N] [--lr X] [--patience N] [--layers N] [--qubits N] [--hidden 16,8,4] [--experts N] [--backend cpu|cpu64|webgpu|auto] [data options] [--quiet]';

export const ABLATION_HELP = `${ABLATION_USAGE}

The study's ablation (Table I, Fig. 1, Fig. 3): trains model A (linear router), B (quantum
router) and C (deep MLP router) with the same linear experts, data and budget, for seeds
0..K-1, and writes into DIR:
  runs/<router>-seed<k>.json   one file per finished run (written atomically): scores, history,
                               the kept parameters; an interrupted ablation run again with the same
                               options trains only the runs that are missing
  ablation.json, ablation.md   Table I (test accuracy and F1 as mean ± std over seeds, parameters,
                               eta = accuracy / ln(1 + P)), the epoch each model first reaches 90%
                               validation accuracy, and the study's claims beside ours
  dynamics-loss.svg/png, dynamics-accuracy.svg/png   loss and validation accuracy per epoch (Fig. 3)
  boundary-<router>.svg/png    decision boundaries (Fig. 1), for two-feature data (moons)

  --dataset NAME   moons (default), mnist (0 vs 1), fashion (T-shirt/top vs Trouser)
  --preset P       paper (default: 4 experts; quantum 12 layers on moons, 4 on 8 PCA features)
                   or code (the notebooks: 2 experts, StronglyEntanglingLayers + adapter)
  --seeds K        seeds per model (default 3)
  --epochs N --batch N --lr X --patience N   the budget (preset defaults as qmoe train)
  --layers N --qubits N --hidden LIST --experts N   model sizes (preset defaults otherwise)
  --samples N --noise X --data-seed N        moons data (1000, 0.1, 42)
${IMAGE_HELP}  --backend NAME   cpu (fast CPU engine), cpu64 (float64 reference), webgpu or auto (default auto:
                   webgpu on a hardware adapter, else cpu)
  --quiet          no progress on stderr

Progress (model, seed, epoch, ETA) goes to stderr; the table is printed on stdout at the end.
`;

export async function ablationCommand(args: string[]): Promise<number> {
  const cmd = 'qmoe ablation';
  const values = parseOptions(
    cmd,
    args,
    {
      ...STUDY_OPTIONS,
      layers: { type: 'string' },
      qubits: { type: 'string' },
      hidden: { type: 'string' },
      experts: { type: 'string' },
    },
    ABLATION_USAGE,
  );
  if (values.help) {
    process.stdout.write(ABLATION_HELP);
    return 0;
  }
  if (!values.out) throw new UsageError(`${cmd}: --out DIR is required`, ABLATION_USAGE);
  const preset = choiceOption<Preset>(cmd, 'preset', values.preset, PRESETS, ABLATION_USAGE) ?? 'paper';
  const backend = choiceOption<EngineChoice>(cmd, 'backend', values.backend, ENGINE_CHOICES, ABLATION_USAGE) ?? 'auto';
  const init = choiceOption<InitKind>(cmd, 'init', values.init, INITS, ABLATION_USAGE) ?? 'uniform';
  const dataset: DatasetSettings = withImageOptions(cmd, values, datasetSettings(cmd, values, { ...DEFAULT_MOONS, split: DEFAULT_SPLIT }, ABLATION_USAGE), ABLATION_USAGE);
  const budget = parseBudget(cmd, values, preset, init, ABLATION_USAGE);
  const seeds = intOption(cmd, 'seeds', values.seeds, 1, 1000, ABLATION_USAGE) ?? 3;
  const result = await runAblation({
    dataset,
    preset,
    seeds,
    budget,
    backend,
    out: values.out,
    sizes: parseSizes(cmd, values, ABLATION_USAGE),
    command: ['qmoe ablation', ...args].join(' '),
    progress: stderrProgress(values.quiet),
  });
  process.stdout.write(ablationMarkdown(result));
  process.stdout.write(`\nwrote ${values.out}/{ablation.json, ablation.md, ${result.figures.map((f) => `${f}.svg/png`).join(', ')}, runs/}\n`);
  return 0;
}

/** --epochs, --batch, --lr, --patience with the preset's defaults. */
export function parseBudget(cmd: string, values: Record<string, unknown>, preset: Preset, init: InitKind, usage: string): Budget {
  const d = presetTraining(preset);
  const lr = numberOption(cmd, 'lr', values.lr as string | undefined, usage) ?? d.lr;
  if (!(lr > 0)) throw new QmoeInputError('--lr', lr, 'must be > 0');
  return {
    lr,
    epochs: intOption(cmd, 'epochs', values.epochs as string | undefined, 1, 1_000_000, usage) ?? d.epochs,
    batch: intOption(cmd, 'batch', values.batch as string | undefined, 1, 1 << 24, usage) ?? d.batch,
    patience: intOption(cmd, 'patience', values.patience as string | undefined, 0, 1_000_000, usage) ?? d.patience,
    init,
  };
}

/** --qubits, --layers, --hidden, --experts. */
export function parseSizes(cmd: string, values: Record<string, unknown>, usage: string): { qubits?: number; layers?: number; hidden?: number[]; experts?: number } {
  let hidden: number[] | undefined;
  if (values.hidden !== undefined) {
    const text = String(values.hidden);
    hidden = text.split(',').map((p) => {
      if (!/^\s*\d+\s*$/.test(p)) throw new UsageError(`${cmd}: --hidden ${JSON.stringify(text)}: must be comma-separated positive integers, e.g. 16,8`, usage);
      return Number(p);
    });
  }
  return {
    qubits: intOption(cmd, 'qubits', values.qubits as string | undefined, 1, 64, usage),
    layers: intOption(cmd, 'layers', values.layers as string | undefined, 0, 10000, usage),
    experts: intOption(cmd, 'experts', values.experts as string | undefined, 1, 1 << 16, usage),
    hidden,
  };
}
