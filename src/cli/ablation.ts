import { MAX_DATA_SEEDS, ablationMarkdown, parseVariant, planAblation, runAblation, type AblationOptions } from '../experiments/ablation.js';
import { stderrProgress } from '../experiments/progress.js';
import { defineCommand, flag, int, text, type OptionValues } from './args.js';
import { SIZE_OPTIONS, STUDY_OPTIONS, budgetFrom, dataFrom, required, sizesFrom } from './common-options.js';
import { EXECUTION_HELP, EXECUTION_OPTIONS, executionFrom, recordedCommand } from './execution-options.js';
import { IMAGE_HELP } from './image-options.js';
import type { StudyCommand } from './study-command.js';

export const ABLATION_USAGE =
  'usage: qmoe ablation --out DIR [--dataset moons|mnist|fashion] [--preset paper|code] [--seeds K] [--data-seeds D] [--epochs N] [--batch N] [--lr X] [--patience N] [--layers N] [--qubits N] [--hidden 16,8,4] [--experts N] [--readout R[,R2...]] [--reupload] [--backend cpu|cpu64|webgpu|auto] [--workers N|auto | --queue URL] [data options] [--quiet]';

export const ABLATION_HELP = `${ABLATION_USAGE}

The study's ablation (Table I, Fig. 1, Fig. 3): trains model A (linear router), B (quantum
router) and C (deep MLP router) with the same linear experts, data and budget, for seeds
0..K-1 (on each of D data seeds), and writes into DIR:
  runs/<router>-seed<k>-<hash>.json   one file per finished run (written atomically): scores,
                               history, the kept parameters; <hash> is of the run's configuration
                               and seed; an interrupted ablation run again with the same options
                               trains only the runs that are missing
  ablation.json, ablation.md   Table I (test accuracy as mean ± std, median, min, a 95% bootstrap
                               interval and the collapse rate over the runs; F1, parameters,
                               eta = accuracy / ln(1 + P)), the epoch each model first reaches 90%
                               validation accuracy, paired permutation p-values of B - A and
                               B - C, and the study's claims beside ours (which differences are
                               significant at 5%; the efficiency and training-speed claims)
  dynamics-loss.svg/png, dynamics-accuracy.svg/png   loss and validation accuracy per epoch (Fig. 3)
  boundary-<router>.svg/png    decision boundaries (Fig. 1), for two-feature data (moons)

  --dataset NAME   moons (default), mnist (0 vs 1), fashion (T-shirt/top vs Trouser)
  --preset P       paper (default: 4 experts; quantum 12 layers on moons, 4 on 8 PCA features)
                   or code (the notebooks: 2 experts, StronglyEntanglingLayers + adapter)
  --seeds K        seeds per model (default 20)
  --data-seeds D   also over D data sets: data seeds S, S+1, ..., S+D-1 from --data-seed S (default
                   1; on moons 42 is scikit-learn's fixture, the others qmoe's generator); every
                   seed on each, differences paired by (data seed, seed)
  --readout LIST   forms of the quantum router: the first is B, the others are added as B2, B3, ...
                   and compared with A, C and B; each blocks, z or parity (see qmoe help train),
                   optionally +reupload (e.g. blocks,z,parity,z+reupload); default: the preset's
  --reupload       every form of B re-uploads the data before each layer
  --epochs N --batch N --lr X --patience N   the budget (preset defaults as qmoe train)
  --layers N --qubits N --hidden LIST --experts N   model sizes (preset defaults otherwise)
  --samples N --noise X --data-seed N        moons data (1000, 0.1, 42)
${IMAGE_HELP}  --backend NAME   cpu (fast CPU engine), cpu64 (float64 reference), webgpu or auto (default auto:
                   webgpu on a hardware adapter, else cpu)
${EXECUTION_HELP}  --quiet          no progress on stderr

Progress (model, seed, epoch, ETA) goes to stderr; the table is printed on stdout at the end.
`;

const ABLATION_OPTIONS = { ...STUDY_OPTIONS, ...SIZE_OPTIONS, ...EXECUTION_OPTIONS, 'data-seeds': int(1, MAX_DATA_SEEDS), readout: text(), reupload: flag() } as const;

/** The ablation's options from the command line. */
function ablationOptions(values: OptionValues<typeof ABLATION_OPTIONS>, cmd: string, args: string[]): AblationOptions {
  const preset = values.preset ?? 'paper';
  return {
    dataset: dataFrom(cmd, values, ABLATION_USAGE),
    preset,
    seeds: values.seeds ?? 20,
    dataSeeds: values['data-seeds'],
    variants: (values.readout ?? (values.reupload ? (preset === 'paper' ? 'blocks' : 'z') : undefined))?.split(',').map((item) => parseVariant(item, values.reupload === true)),
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
