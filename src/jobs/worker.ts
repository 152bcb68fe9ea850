import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { QmoeJobsError } from '../errors.js';
import { formatDuration } from '../experiments/progress.js';
import type { RunRecord } from '../experiments/runner.js';
import { WorkerPool } from './pool.js';
import { QUEUE_NAME } from './queue.js';
import { RedisMonitor, bullClient, scrub } from './redis.js';
import type { RedisTarget } from './redis-url.js';
import { checkRunSpec } from './spec.js';

export interface WorkerOptions {
  target: RedisTarget;
  /** Jobs trained at once, each in its own worker process. */
  concurrency: number;
  /** A job whose lock is not renewed for this long (its worker killed, its machine gone) goes back to the queue. */
  stallSeconds: number;
  /** Redis not answering this long, at the start or later, ends the worker (exit 1). */
  timeoutSeconds: number;
  log: (line: string) => void;
  /** Aborting stops the worker: no new jobs, the runs in progress are given up (the queue hands them to another worker). */
  signal?: AbortSignal;
}

/** The name a worker gives itself in the queue (a job's processedBy): host and process id. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * `qmoe worker`: takes jobs from the BullMQ queue QUEUE_NAME and trains each in one of
 * `concurrency` worker processes (src/jobs/pool.ts), returning its run record to the queue. A
 * payload that is not a valid run spec fails alone, at once and for good (UnrecoverableError)
 * and the worker goes on; a run that throws is retried by the queue (3 attempts, on any worker).
 * The worker renews its jobs' locks while its processes train; if it is killed, its jobs go back
 * to the queue after `stallSeconds`. Resolves to 0 when stopped by `signal`; Redis that cannot be
 * reached or stops answering is a QmoeJobsError (exit 1).
 */
export async function runWorker(o: WorkerOptions): Promise<number> {
  const monitor = await RedisMonitor.open(o.target, o.timeoutSeconds);
  const pool = new WorkerPool(o.concurrency);
  const name = workerName();
  const process1 = async (job: Job): Promise<RunRecord> => {
    let spec;
    try {
      spec = checkRunSpec(job.data);
      if (job.id !== spec.id) throw new Error(`the job's id ${job.id} is not its run's id ${spec.id}`);
    } catch (e) {
      const message = `malformed job ${job.id}: ${(e as Error).message}`;
      o.log(`${message}; refused (the job fails, this worker goes on)`);
      throw new UnrecoverableError(message);
    }
    const t0 = performance.now();
    o.log(`${spec.label} (${spec.id}): started${job.attemptsMade > 0 ? `, attempt ${job.attemptsMade + 1}` : ''}`);
    let reported = 0;
    try {
      const run = await pool.run(spec, {
        onEpoch: (r) => {
          const now = performance.now();
          if (now - reported < 1000) return;
          reported = now;
          job.updateProgress({ ...r }).catch(() => {});
        },
      });
      o.log(`${spec.label} (${spec.id}): done, test accuracy ${(100 * run.test.accuracy).toFixed(2)}%, ${run.epochsRun} epochs, ${formatDuration((performance.now() - t0) / 1000)}`);
      return run;
    } catch (e) {
      o.log(`${spec.label} (${spec.id}): failed: ${(e as Error).message}`);
      throw e;
    }
  };
  const worker = new Worker(QUEUE_NAME, process1, {
    connection: bullClient(o.target, o.timeoutSeconds),
    concurrency: o.concurrency,
    lockDuration: o.stallSeconds * 1000,
    stalledInterval: o.stallSeconds * 1000,
    maxStalledCount: 1,
    name,
  });
  let lastError = '';
  worker.on('error', (e) => {
    const message = scrub(e.message, o.target);
    if (message !== lastError) o.log(`queue: ${message}`);
    lastError = message;
  });
  o.log(`waiting for jobs on ${o.target.display} (queue ${QUEUE_NAME}), ${o.concurrency} at a time, as ${name}`);
  const lost = await new Promise<string | undefined>((resolve) => {
    monitor.watch((message) => resolve(message));
    if (o.signal?.aborted) resolve(undefined);
    o.signal?.addEventListener('abort', () => {
      o.log('stopping: the runs in progress go back to the queue for another worker');
      resolve(undefined);
    });
  });
  monitor.close();
  await Promise.race([worker.close(true).catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
  await pool.close();
  if (lost) throw new QmoeJobsError(`qmoe worker: ${lost}; stopped (its runs in progress go back to the queue)`);
  return 0;
}
