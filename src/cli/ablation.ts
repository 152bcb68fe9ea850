import { ablationMarkdown, planAblation, runAblation, type AblationOptions } from '../experiments/ablation.js';
import { stderrProgress } from '../experiments/progress.js';
import { defineCommand, type OptionValues } from './args.js';
import { SIZE_OPTIONS, STUDY_OPTIONS, budgetFrom, dataFrom, required, sizesFrom } from './common-options.js';
import { EXECUTION_HELP, EXECUTION_OPTIONS, executionFrom, recordedCommand } from './execution-options.js';
import { IMAGE_HELP } from './image-options.js';
import type { StudyCommand } from './study-command.js';

export const ABLATION_USAGE =
  'usage: qmoe ablation --out DIR [--dataset moons|mnist|fashion] [--preset paper|code] [--seeds K] [--epochs N] [--batch N] [--lr X] [--patience N] [--layers N] [--qubits N] [--hidden 16,8,4] [--experts N] [--backend cpu|cpu64|webgpu|auto] [--workers N|auto | --queue URL] [data options] [--quiet]';

export const ABLATION_HELP = `${ABLATION_USAGE}

The study's ablation (Table I, Fig. 1, Fig. 3): trains model A (linear router), B (quantum
router) and C (deep MLP router) with the same linear experts, data and budget, for seeds
0..K-1, and writes into DIR:
  runs/<router>-seed<k>-<hash>.json   one file per finished run (written atomically): scores,
                               history, the kept parameters; <hash> is of the run's configuration
                               and seed; an interrupted ablation run again with the same options
                               trains only the runs that are missing
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
${EXECUTION_HELP}  --quiet          no progress on stderr

Progress (model, seed, epoch, ETA) goes to stderr; the table is printed on stdout at the end.
`;

const ABLATION_OPTIONS = { ...STUDY_OPTIONS, ...SIZE_OPTIONS, ...EXECUTION_OPTIONS } as const;

/** The ablation's options from the command line. */
function ablationOptions(values: OptionValues<typeof ABLATION_OPTIONS>, cmd: string, args: string[]): AblationOptions {
  const preset = values.preset ?? 'paper';
  return {
    dataset: dataFrom(cmd, values, ABLATION_USAGE),
    preset,
    seeds: values.seeds ?? 3,
    budget: budgetFrom(values, preset),
    backend: values.backend ?? 'auto',
    out: required(cmd, 'out', 'DIR', values.out, ABLATION_USAGE),
    sizes: sizesFrom(values),
    execution: executionFrom(cmd, values, ABLATION_USAGE),
    command: recordedCommand('ablation', args),
    progress: stderrProgress(values.quiet),
  };
}

export const ABLATION = defineCommand({
  usage: ABLATION_USAGE, help: ABLATION_HELP, options: ABLATION_OPTIONS,
  async run(values, { command: cmd, args }) {
    const o = ablationOptions(values, cmd, args);
    const result = await runAblation(o);
    process.stdout.write(ablationMarkdown(result));
    process.stdout.write(`\nwrote ${o.out}/{ablation.json, ablation.md, ${result.figures.map((f) => `${f}.svg/png`).join(', ')}, runs/}\n`);
    return 0;
  },
});

export const ABLATION_STUDY: StudyCommand = {
  name: 'ablation',
  command: ABLATION,
  out: (values) => required('qmoe ablation', 'out', 'DIR', (values as OptionValues<typeof ABLATION_OPTIONS>).out, ABLATION_USAGE),
  plan: (values, { command, args }) => planAblation(ablationOptions(values as OptionValues<typeof ABLATION_OPTIONS>, command, args)),
};
