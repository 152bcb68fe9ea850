import { join } from 'node:path';
import { QmoeJobsError } from '../errors.js';
import { EtaClock, batchLine, formatDuration, type ProgressSink } from '../experiments/progress.js';
import { canonical, checkRunRecord, saveRun, type RunRecord, type StudyOptions } from '../experiments/runner.js';
import { openResultDir } from '../train/result-set.js';
import { makeExecutor } from './execution.js';
import type { Executor, RunEvents, RunFailure } from './executor.js';
import { findRun, runsDirectory } from './runs-dir.js';
import { costEstimate, type RunSpec, type StudyName } from './spec.js';

/**
 * A study as data: its runs (specs with stable ids) and how its tables are made from their
 * records. Expanding a study (ablation, sweep, noise sweep) gives one; running it trains the
 * missing runs wherever the execution choice says, then writes the tables.
 */
export interface StudyPlan<R extends RunRecord = RunRecord, T = unknown> {
  name: StudyName;
  specs: RunSpec[];
  /** Describes a finished run for the progress ("test accuracy 93.33%"). */
  done: (run: R) => string;
  /**
   * Starts what `finish` will need (loading the plotting modules) while other processes train,
   * so that it does not wait for it after the last run (called once, after the first run came back).
   */
  prepare?: () => Promise<unknown>;
  /**
   * Called with each run that another process trained, as it is saved, while the rest train:
   * starts work on that run that finish will need (its figure), so that finish waits less.
   */
  early?: (run: R) => void;
  /** The result and its files from every run's record (by id), committed as one result set. */
  finish: (runs: Map<string, R>, log: ProgressSink) => Promise<{ result: T; files: [string, string | Uint8Array][]; setNames?: string[] }>;
}

/** About how many bytes an experiment's tables and figures take (checked before training). */
export const EXPERIMENT_BYTES = 16 * 2 ** 20;

const SILENT: ProgressSink = { status: () => {}, line: () => {} };

/**
 * Runs (or resumes) a study in its result directory (src/train/result-set.ts: locked, checked
 * before training). Each spec's record is taken from DIR/runs when one with its configuration is
 * there; the others are trained by the executor `o.execution` chooses (this process by default),
 * each record written to DIR/runs/<id>.json as it arrives, with progress (epoch, batch, ETA from
 * the kinds' measured seconds per epoch). When every run is there, `plan.finish` makes the tables
 * and figures, committed as one set. Runs that failed for good are reported together
 * (QmoeJobsError, exit 1) after the others finished; their tables are not written.
 */
export async function runStudy<R extends RunRecord, T>(o: StudyOptions, plan: StudyPlan<R, T>): Promise<T> {
  const log = o.progress ?? SILENT;
  const dir = openResultDir(o.out, { argument: '--out', bytes: EXPERIMENT_BYTES, command: o.command });
  try {
    const runsDir = join(o.out, 'runs');
    const runs = new Map<string, R>();
    const clock = new EtaClock();
    let legacy = 0;
    for (const spec of plan.specs) {
      const found = findRun(runsDir, spec);
      if (!found) continue;
      runs.set(spec.id, found.run as R);
      clock.record(spec.kind, found.run.seconds, found.run.epochsRun);
      if (found.legacy) legacy++;
    }
    const todo = plan.specs.filter((s) => !runs.has(s.id));
    if (runs.size > 0) {
      const old = legacy > 0 ? ` (${legacy} under the names qmoe gave runs before stable ids)` : '';
      log.line(`${plan.name}: ${runs.size} of ${plan.specs.length} runs found in ${runsDir}${old}, ${todo.length} to train`);
    }
    if (todo.length > 0) {
      // The executor first (a queue that cannot be reached fails here), then DIR/runs.
      const executor = await makeExecutor(o.execution, todo);
      try {
        runsDirectory(o.out);
        await trainMissing(o, plan, todo, executor, { runs, clock, runsDir, log });
      } finally {
        await executor.close();
      }
    }
    const { result, files, setNames } = await plan.finish(runs, log);
    dir.commit(files, setNames);
    return result;
  } finally {
    dir.release();
  }
}

/** Trains `todo` on `executor`, saving each record as it comes; throws when runs failed. */
async function trainMissing<R extends RunRecord>(
  o: StudyOptions,
  plan: StudyPlan<R, unknown>,
  todo: RunSpec[],
  executor: Executor,
  c: { runs: Map<string, R>; clock: EtaClock; runsDir: string; log: ProgressSink },
): Promise<void> {
  const { runs, clock, runsDir, log } = c;
  const total = plan.specs.length;
  const epochs = o.budget.epochs;
  const every = epochs <= 20 ? 1 : 10;
  const remaining = new Map<string, number>();
  for (const s of todo) remaining.set(s.kind, (remaining.get(s.kind) ?? 0) + s.config.budget.epochs);
  const eta = () => {
    const t = clock.estimate(remaining);
    return `ETA ${t === undefined ? '?' : `<= ${formatDuration(t / executor.parallel())}`}`;
  };
  /** Per started run: when it started, its last epoch seen and when. */
  const started = new Map<string, { t0: number; last: number; epoch: number }>();
  // A run is numbered by its place in the study (qmoe jobs list's index + 1), whatever order it runs in.
  const number = new Map(plan.specs.map((s, i) => [s.id, i + 1]));
  const head = (spec: RunSpec) => `${plan.name} ${number.get(spec.id)}/${total}: ${spec.label}`;
  const failures: { spec: RunSpec; failure: RunFailure }[] = [];
  let prepared = false;
  const events: RunEvents = {
    started(spec) {
      if (started.has(spec.id)) return;
      const now = performance.now();
      started.set(spec.id, { t0: now, last: now, epoch: 0 });
      o.onTrain?.(spec.id);
    },
    epoch(spec, r) {
      const s = started.get(spec.id);
      if (!s || r.epoch <= s.epoch) return;
      // A queue's workers report every epoch or about once a second: count the epochs since the last report.
      const now = performance.now();
      clock.record(spec.kind, (now - s.last) / 1000, r.epoch - s.epoch);
      remaining.set(spec.kind, (remaining.get(spec.kind) ?? 0) - (r.epoch - s.epoch));
      s.last = now;
      s.epoch = r.epoch;
      if (r.epoch % every === 0 || r.epoch === 1 || r.epoch === epochs) {
        log.status(`${head(spec)} epoch ${r.epoch}/${epochs} loss ${r.trainLoss.toFixed(4)} val acc ${r.valAccuracy.toFixed(3)} | ${eta()}`);
      }
    },
    batch(spec, p) {
      log.status(`${head(spec)} epoch ${p.epoch}/${epochs} ${batchLine(p)} | ${eta()}`);
    },
    finished(spec, run) {
      events.started(spec);
      const wrong = returnedRunProblem(spec, run);
      if (wrong) {
        events.failed(spec, { message: wrong, attempts: 1, input: false });
        return;
      }
      saveRun(runsDir, run);
      runs.set(spec.id, run as R);
      // This process only waits for the other processes' runs: once they are under way (not while
      // they start), it loads what the tables need. A failure shows again in finish, reported there.
      if (!prepared && !executor.inProcess) plan.prepare?.().catch(() => {});
      prepared = true;
      if (!executor.inProcess) plan.early?.(run as R);
      // Epochs not reported, or not run (early stopping), leave the estimate.
      const s = started.get(spec.id)!;
      remaining.set(spec.kind, (remaining.get(spec.kind) ?? 0) - (spec.config.budget.epochs - s.epoch));
      const of = executor.parallel() > 1 || failures.length > 0 ? ` (${runs.size} of ${total} runs done)` : '';
      log.line(`${head(spec)} done: ${plan.done(run as R)}, ${run.epochsRun} epochs, ${formatDuration((performance.now() - s.t0) / 1000)}${of}`);
    },
    failed(spec, failure) {
      failures.push({ spec, failure });
      log.line(`${plan.name}: ${spec.label} (${spec.id}) failed after ${failure.attempts} attempt${failure.attempts === 1 ? '' : 's'}: ${failure.message}`);
    },
    note(line) {
      log.line(`${plan.name}: ${line}`);
    },
  };
  if (!executor.inProcess) log.line(`${plan.name}: ${todo.length} run${todo.length === 1 ? '' : 's'} to train on ${executor.description}`);
  await executor.run(executor.inProcess ? todo : longestFirst(todo), events, { progressSeconds: log.batchSeconds });
  if (failures.length > 0) {
    const list = failures.map((f) => `  ${f.spec.label} (${f.spec.id}), ${f.failure.attempts} attempt${f.failure.attempts === 1 ? '' : 's'}: ${f.failure.message}`).join('\n');
    throw new QmoeJobsError(
      `${plan.name}: ${failures.length} of ${todo.length} runs failed; the ${runs.size} finished runs are kept in ${runsDir}, the tables are not written; run the command again to retry the failed runs:\n${list}`,
      failures.every((f) => f.failure.input) ? 2 : 1,
    );
  }
}

/** Parallel executors start the long runs first (src/jobs/spec.ts costEstimate), so that workers finish together. */
function longestFirst(specs: RunSpec[]): RunSpec[] {
  return specs
    .map((s, i) => ({ s, i, cost: costEstimate(s) }))
    .sort((a, b) => b.cost - a.cost || a.i - b.i)
    .map((x) => x.s);
}

/** What is wrong with a record that came back from a worker (it must be the run the spec asked for), or undefined. */
function returnedRunProblem(spec: RunSpec, run: RunRecord): string | undefined {
  const hint = 'the worker runs another version of qmoe, or the job was changed';
  if (typeof run !== 'object' || run === null || run.format !== 'qmoe-run' || run.version !== 1) return `the worker returned no qmoe run record; ${hint}`;
  if (run.id !== spec.id || canonical(run.config) !== canonical(spec.config)) return `the worker returned a record of another run or configuration; ${hint}`;
  try {
    checkRunRecord('the record from the worker', run, hint);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
