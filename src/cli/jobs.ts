import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { batchLine, formatDuration, stderrProgress } from '../experiments/progress.js';
import { saveRun } from '../experiments/runner.js';
import { DataCache, executeRun } from '../jobs/execute.js';
import { findRun, runsDirectory } from '../jobs/runs-dir.js';
import { UsageError, parseCommand, parseDecimal } from './args.js';
import { ABLATION_STUDY } from './ablation.js';
import { NOISE_SWEEP_STUDY } from './noise-sweep.js';
import type { StudyCommand } from './study-command.js';
import { SWEEP_STUDY } from './sweep.js';
import { JOBS_USAGE } from './usages.js';

const STUDY_COMMANDS: Record<string, StudyCommand> = { ablation: ABLATION_STUDY, sweep: SWEEP_STUDY, 'noise-sweep': NOISE_SWEEP_STUDY };

export const JOBS_HELP = `${JOBS_USAGE}

The runs of a study, for schedulers such as Slurm. A study command (ablation, sweep, noise-sweep)
with its options is a fixed list of runs, each with a stable id (its name and a hash of its
configuration and seed) and its file DIR/runs/<id>.json.

  qmoe jobs list COMMAND [options]
      prints the runs as JSON lines {"index": I, "done": true|false, "spec": {...}} (done: its
      file is in DIR/runs) and their count on stderr
  qmoe jobs run --index I COMMAND [options]
      trains run I (0 to count - 1) in this process, unless it is done, and writes its file
      atomically; array tasks run at once into one DIR (no lock: each run is its own file).
      Then 'qmoe COMMAND [options]' finds every run done and writes the tables.

A Slurm array of the ablation (9 runs: 3 models x 3 seeds):

  #SBATCH --array=0-8
  npx qmoe jobs run --index $SLURM_ARRAY_TASK_ID ablation --seeds 3 --out results/moons-paper

then, after the array (sbatch --dependency=afterok:JOBID):

  npx qmoe ablation --seeds 3 --out results/moons-paper

--workers, --queue and --redis-timeout belong to the study command, not to qmoe jobs.
`;

const EXECUTION_ONLY = ['workers', 'queue', 'redis-timeout'] as const;

/** `qmoe jobs list|run ...`: the options are the study command's, parsed by its own table. */
export async function runJobs(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(JOBS_HELP);
    return 0;
  }
  if (sub !== 'list' && sub !== 'run') throw new UsageError(`qmoe jobs: ${sub === undefined ? 'list or run is required' : `unknown subcommand '${sub}' (list, run)`}`, JOBS_USAGE);
  let indexText: string | undefined;
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--index') {
      indexText = rest[++i];
      if (indexText === undefined) throw new UsageError(`qmoe jobs ${sub}: --index needs a value`, JOBS_USAGE);
    } else if (a.startsWith('--index=')) indexText = a.slice('--index='.length);
    else args.push(a);
  }
  if (sub === 'list' && indexText !== undefined) throw new UsageError('qmoe jobs list: --index is for qmoe jobs run', JOBS_USAGE);
  if (sub === 'run' && indexText === undefined) throw new UsageError('qmoe jobs run: --index I is required (e.g. --index $SLURM_ARRAY_TASK_ID)', JOBS_USAGE);
  const index = indexText === undefined ? undefined : parseDecimal(indexText);
  if (indexText !== undefined && (index === undefined || !Number.isInteger(index) || index < 0)) {
    throw new UsageError(`qmoe jobs run: --index ${JSON.stringify(indexText)}: must be an integer from 0`, JOBS_USAGE);
  }
  const [name, ...commandArgs] = args;
  const study = name === undefined ? undefined : Object.prototype.hasOwnProperty.call(STUDY_COMMANDS, name) ? STUDY_COMMANDS[name] : undefined;
  if (!study) throw new UsageError(`qmoe jobs ${sub}: ${name === undefined ? 'the study command is missing' : `unknown study command '${name}'`} (ablation, sweep, noise-sweep)`, JOBS_USAGE);
  const where = `qmoe jobs ${sub} ${name}`;
  const { values } = parseCommand(where, commandArgs, study.command.options, study.command.usage);
  if (values.help) {
    process.stdout.write(JOBS_HELP);
    return 0;
  }
  for (const option of EXECUTION_ONLY) {
    if ((values as Record<string, unknown>)[option] !== undefined) throw new UsageError(`${where}: --${option} applies to 'qmoe ${name}', not to qmoe jobs (a job runs in this process)`, JOBS_USAGE);
  }
  const plan = study.plan(values, { command: `qmoe ${name}`, args: commandArgs });
  const out = study.out(values);
  if (sub === 'list') {
    const runsDir = join(out, 'runs');
    let done = 0;
    plan.specs.forEach((spec, i) => {
      const found = existsSync(runsDir) && findRun(runsDir, spec) !== undefined;
      if (found) done++;
      process.stdout.write(JSON.stringify({ index: i, done: found, spec }) + '\n');
    });
    process.stderr.write(`${plan.name}: ${plan.specs.length} runs (indices 0 to ${plan.specs.length - 1}), ${done} done in ${runsDir}\n`);
    return 0;
  }
  if (index! >= plan.specs.length) {
    throw new UsageError(`${where}: --index ${index}: must be an integer from 0 to ${plan.specs.length - 1} (this ${plan.name} has ${plan.specs.length} runs; qmoe jobs list prints them)`, JOBS_USAGE);
  }
  const spec = plan.specs[index!];
  const runsDir = runsDirectory(out);
  const file = join(runsDir, `${spec.id}.json`);
  if (findRun(runsDir, spec)) {
    process.stderr.write(`${plan.name} run ${index}: ${spec.label} is done (${file}); nothing to train\n`);
    return 0;
  }
  const log = stderrProgress((values as { quiet?: boolean }).quiet);
  const head = `${plan.name} run ${index}: ${spec.label}`;
  const epochs = spec.config.budget.epochs;
  const every = epochs <= 20 ? 1 : 10;
  const t0 = performance.now();
  const run = await executeRun(
    spec,
    {
      onEpoch: (r) => {
        if (r.epoch % every === 0 || r.epoch === 1 || r.epoch === epochs) log.status(`${head} epoch ${r.epoch}/${epochs} loss ${r.trainLoss.toFixed(4)} val acc ${r.valAccuracy.toFixed(3)}`);
      },
      onProgress: log.batchSeconds === undefined ? undefined : (p) => log.status(`${head} epoch ${p.epoch}/${epochs} ${batchLine(p)}`),
      progressSeconds: log.batchSeconds,
    },
    new DataCache(),
  );
  saveRun(runsDir, run);
  log.line(`${head} done: test accuracy ${(100 * run.test.accuracy).toFixed(2)}%, ${run.epochsRun} epochs, ${formatDuration((performance.now() - t0) / 1000)}; wrote ${file}`);
  return 0;
}
