/**
 * Section: jobs (`npm run bench -- --only jobs`; no GPU needed).
 *
 * a. Local workers: the wall time of `qmoe ablation --dataset moons --backend cpu --seeds S`
 *    (the study's settings otherwise) with --workers 1 and --workers 2, each spawned as a child
 *    process into a fresh DIR (node start, data, every run, tables and figures). Goal on 2 cores:
 *    2 workers <= 0.6x one.
 * b. The queue's own cost per job: N tiny runs (a sweep of 1-epoch runs on 60 moons samples,
 *    a few ms each) through a BullMQ queue on a local redis-server with one `qmoe worker`
 *    (concurrency 1), against the same runs in this process and in one local worker process.
 *    Each is timed as the executor's run() of the N specs, after a warm-up round (worker
 *    processes started, data made); per job = wall / N; the queue's overhead per job =
 *    (queue - in-process) / N. Goal: <= 20 ms.
 * The load average is printed with each measurement: these ratios are only meaningful on an
 * otherwise idle machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planSweep } from '../src/experiments/sweep.js';
import type { RunEvents } from '../src/jobs/executor.js';
import { inProcessExecutor, type Executor } from '../src/jobs/executor.js';
import { poolExecutor, workerEnv } from '../src/jobs/pool.js';
import { queueExecutor } from '../src/jobs/queue.js';
import { parseRedisUrl } from '../src/jobs/redis-url.js';
import type { RunSpec } from '../src/jobs/spec.js';
import { DEFAULT_SPLIT } from '../src/train/dataset.js';
import { startRedis } from '../test/helpers/redis.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const qmoe = join(root, 'bin', 'qmoe.mjs');

export interface JobsSizes {
  /** Seeds of the ablations of part a. */
  ablationSeeds: number[];
  /** Rounds of part a, each --workers 1 then --workers 2 (the machine's load changes between them: medians count). */
  rounds: number;
  /** Runs per round of part b. */
  queueJobs: number;
}
// 20 seeds: the ablation's default (the study's 60 runs); fewer leave mostly the fixed start and figures.
export const JOBS_FULL: JobsSizes = { ablationSeeds: [20], rounds: 3, queueJobs: 96 };
export const JOBS_QUICK: JobsSizes = { ablationSeeds: [3], rounds: 1, queueJobs: 48 };

export interface AblationRow {
  seeds: number;
  workers: number;
  /**
   * 2: two whole `--workers 1` processes at once (1 engine thread each), timed until both end:
   * what the machine gives two processes that share nothing, the bound of any 2-worker split.
   */
  concurrent?: number;
  round: number;
  wallSeconds?: number;
  load: number[];
  status: 'ok' | 'error';
  reason?: string;
}

export interface QueueRow {
  where: 'in-process' | 'local worker process' | 'queue (1 qmoe worker)';
  jobs: number;
  wallSeconds?: number;
  msPerJob?: number;
  load: number[];
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
}

const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

function run(args: string[], limitMs: number, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stderr: string; seconds: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [qmoe, ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** a. The moons ablation with 1 and 2 local workers, and two 1-worker processes at once. */
export async function benchAblationWorkers(sizes: JobsSizes, log: (s: string) => void, rows: AblationRow[]): Promise<void> {
  for (const seeds of sizes.ablationSeeds) {
    const args = (workers: number, out: string) => ['ablation', '--dataset', 'moons', '--backend', 'cpu', '--seeds', String(seeds), '--workers', String(workers), '--quiet', '--out', out];
    for (let round = 1; round <= sizes.rounds; round++) for (const [workers, concurrent] of [[1, 1], [2, 1], [1, 2]]) {
      const dir = mkdtempSync(join(tmpdir(), 'qmoe-bench-jobs-'));
      try {
        log(`jobs: qmoe ablation --dataset moons --backend cpu --seeds ${seeds} --workers ${workers}${concurrent > 1 ? `, ${concurrent} processes at once` : ''} (load ${load().join(', ')})`);
        const before = load();
        const env = concurrent > 1 ? workerEnv(concurrent) : process.env;
        const t0 = performance.now();
        const rs = await Promise.all(Array.from({ length: concurrent }, (_, k) => run(args(workers, join(dir, `out${k}`)), 1_800_000, env)));
        const wallSeconds = (performance.now() - t0) / 1000;
        const bad = rs.find((r) => r.code !== 0);
        const row = { seeds, workers, round, ...(concurrent > 1 ? { concurrent } : {}), load: before };
        rows.push(!bad ? { ...row, wallSeconds, status: 'ok' } : { ...row, status: 'error', reason: `exit ${bad.code}: ${bad.stderr.trim().split('\n').pop()}` });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}

/** The tiny runs of part b: seeds x (one quantum point, the linear router, MLP widths), 1 epoch each. */
function tinySpecs(jobs: number, seedBase: number): RunSpec[] {
  const perSeed = 6;
  const seeds = Math.ceil(jobs / perSeed);
  const plan = planSweep({
    dataset: { name: 'moons', samples: 60, noise: 0.1, seed: 42, split: DEFAULT_SPLIT },
    preset: 'paper',
    seeds: seedBase + seeds,
    budget: { lr: 0.01, epochs: 1, batch: 32, patience: 0, init: 'uniform' },
    backend: 'cpu',
    out: tmpdir(),
    qubits: [2],
    layers: [1],
    widths: [2, 4, 8, 16],
  });
  return plan.specs.filter((s) => s.seed >= seedBase).slice(0, jobs);
}

/** Runs the specs on `executor` and returns the wall seconds (every run must finish). */
async function timeRound(executor: Executor, specs: RunSpec[]): Promise<number> {
  let done = 0;
  const failed: string[] = [];
  const events: RunEvents = {
    started: () => {},
    epoch: () => {},
    batch: () => {},
    finished: () => void done++,
    failed: (s, f) => void failed.push(`${s.id}: ${f.message}`),
    note: () => {},
  };
  const t0 = performance.now();
  await executor.run(specs, events, {});
  const seconds = (performance.now() - t0) / 1000;
  if (failed.length || done !== specs.length) throw new Error(`${failed.length} runs failed: ${failed[0]}`);
  return seconds;
}

/** b. The queue's own cost per job, against this process and one local worker process. */
export async function benchQueueOverhead(sizes: JobsSizes, log: (s: string) => void, rows: QueueRow[]): Promise<void> {
  const n = sizes.queueJobs;
  const warm = tinySpecs(n, 0);
  const timed = tinySpecs(n, 1000);
  const measure = async (where: QueueRow['where'], make: () => Promise<Executor>) => {
    const executor = await make();
    try {
      await timeRound(executor, warm);
      const before = load();
      const wallSeconds = await timeRound(executor, timed);
      rows.push({ where, jobs: n, wallSeconds, msPerJob: (1000 * wallSeconds) / n, load: before, status: 'ok' });
      log(`jobs: ${where}: ${n} runs in ${wallSeconds.toFixed(2)} s (load ${before.join(', ')})`);
    } catch (e) {
      rows.push({ where, jobs: n, load: load(), status: 'error', reason: (e as Error).message });
    } finally {
      await executor.close();
    }
  };
  await measure('in-process', async () => inProcessExecutor());
  await measure('local worker process', async () => poolExecutor(1));
  if (!existsSync('/usr/bin/redis-server')) {
    rows.push({ where: 'queue (1 qmoe worker)', jobs: n, load: load(), status: 'skipped', reason: 'no /usr/bin/redis-server (apt-get install redis-server)' });
    return;
  }
  // Debian's redis-server on a free port and a temporary directory, as the tests start it.
  const redis = await startRedis();
  let worker: ChildProcess | undefined;
  try {
    // Its own process group: killing the group ends its worker process too.
    worker = spawn(process.execPath, [qmoe, 'worker', '--queue', redis.url, '--quiet'], { cwd: root, stdio: 'ignore', detached: true });
    await measure('queue (1 qmoe worker)', () => queueExecutor(parseRedisUrl(redis.url), 30));
  } finally {
    try {
      if (worker?.pid) process.kill(-worker.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await redis.stop();
  }
}

/** The section's text and tables (rows filled by the two benches). */
export function jobsReport(ablation: AblationRow[], queue: QueueRow[], table: (head: string[], rows: string[][]) => string): string {
  const lines: string[] = [];
  lines.push(
    `\nJobs. a. qmoe ablation --dataset moons --backend cpu --seeds S (study settings otherwise: paper preset, up to 100 epochs with early stopping), ` +
      `spawned with --workers 1 then --workers 2 into a fresh DIR, in rounds; wall s = the whole process. ${availableParallelism()} cores here; goal: 2 workers <= 0.6x one on 2 cores.` +
      ' load = 1/5/15-minute load average before the run (other work on the machine slows both sides unequally).\n',
  );
  lines.push(
    table(
      ['seeds', 'round', 'workers', 'wall s', 'load', 'note'],
      ablation.map((r) => [String(r.seeds), String(r.round), r.concurrent ? `${r.concurrent} x 1 at once` : String(r.workers), r.wallSeconds?.toFixed(1) ?? '-', r.load.join(' '), r.status === 'ok' ? '' : `${r.status}: ${r.reason}`]),
    ),
  );
  const medianOf = (seeds: number, workers: number, concurrent?: number) => {
    const v = ablation.filter((r) => r.seeds === seeds && r.workers === workers && r.concurrent === concurrent && r.wallSeconds !== undefined).map((r) => r.wallSeconds!).sort((x, y) => x - y);
    return v.length ? v[Math.floor((v.length - 1) / 2)] : undefined;
  };
  for (const seeds of [...new Set(ablation.map((r) => r.seeds))]) {
    const one = medianOf(seeds, 1);
    const two = medianOf(seeds, 2);
    const pair = medianOf(seeds, 1, 2);
    lines.push(`\n   --seeds ${seeds}: median wall ${one?.toFixed(1) ?? '-'} s with 1 worker, ${two?.toFixed(1) ?? '-'} s with 2: ${one && two ? `${(two / one).toFixed(2)}x` : '-'} (goal <= 0.6x)`);
    if (one && pair) {
      lines.push(`   two whole 1-worker studies at once: median ${pair.toFixed(1)} s for both, ${(pair / 2).toFixed(1)} s per study = ${(pair / 2 / one).toFixed(2)}x one alone: the speed two processes get from these cores together (a 2-worker split also saves one start and one set of figures, and loses its worker processes' start)`);
    }
  }
  const base = queue.find((r) => r.where === 'in-process' && r.msPerJob !== undefined);
  lines.push(
    `\n   b. ${queue[0]?.jobs ?? '-'} tiny runs (1 epoch on 60 moons samples, a few ms each) timed as one round of the executor after a warm-up round:` +
      ' in this process; in one local worker process (IPC); through a BullMQ queue on a local redis-server to one `qmoe worker` (concurrency 1: fetch, lock,' +
      ' IPC to its process, record back through Redis, collected by the submitter). overhead = (ms/job - in-process ms/job). Goal for the queue: <= 20 ms/job.\n',
  );
  lines.push(
    table(
      ['where', 'jobs', 'wall s', 'ms/job', 'overhead ms/job', 'load', 'note'],
      queue.map((r) => [r.where, String(r.jobs), r.wallSeconds?.toFixed(2) ?? '-', r.msPerJob?.toFixed(2) ?? '-', r.msPerJob !== undefined && base?.msPerJob !== undefined ? (r.msPerJob - base.msPerJob).toFixed(2) : '-', r.load.join(' '), r.status === 'ok' ? '' : `${r.status}: ${r.reason}`]),
    ),
  );
  return lines.join('\n');
}

/** For the JSON: what was measured, with the settings. */
export function jobsJson(sizes: JobsSizes, ablation: AblationRow[], queue: QueueRow[]): unknown {
  return { sizes, ablation, queue, cores: availableParallelism() };
}
