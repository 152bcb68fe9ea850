import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { QmoeJobsError } from '../errors.js';
import type { RunRecord } from '../experiments/runner.js';
import type { EpochRecord } from '../train/trainer.js';
import type { Executor, RunEvents } from './executor.js';
import { ATTEMPTS } from './pool.js';
import { RedisMonitor, bullClient, scrub } from './redis.js';
import type { RedisTarget } from './redis-url.js';
import type { RunSpec } from './spec.js';

/** The BullMQ queue every study submits to and every `qmoe worker` takes jobs from. */
export const QUEUE_NAME = 'qmoe-runs';

/** Finished and failed jobs stay in Redis this long (a submitter that comes back finds them), unless collected. */
const KEEP_SECONDS = 7 * 24 * 3600;

/** The job options of a run: its id is the job's (a second submission of a run waits for the same job). */
export function jobOptions(spec: RunSpec): JobsOptions {
  return {
    jobId: spec.id,
    attempts: ATTEMPTS,
    backoff: { type: 'fixed', delay: 1000 },
    removeOnComplete: { age: KEEP_SECONDS },
    removeOnFail: { age: KEEP_SECONDS },
  };
}

/** How often every pending job's state is read (events say it sooner; this covers events lost to a Redis restart). */
const RECONCILE_MS = 2000;

/**
 * The submitting side of a queue: puts the runs in the BullMQ queue QUEUE_NAME (job id = run id;
 * a run already queued, running or finished there is not added again; one that failed for good is
 * replaced) and waits for `qmoe worker` processes to return their records. A finished job's
 * record is handed to the study (which writes DIR/runs/<id>.json) and the job is removed; a job
 * that failed ATTEMPTS times is reported with its error. Jobs lost from Redis (a restart without
 * persistence) are added again. Redis not answering for `timeoutSeconds` ends the wait with a
 * QmoeJobsError (exit 1); the records gathered until then are kept.
 */
export async function queueExecutor(target: RedisTarget, timeoutSeconds: number): Promise<Executor> {
  const monitor = await RedisMonitor.open(target, timeoutSeconds);
  const queue = new Queue(QUEUE_NAME, { connection: bullClient(target, timeoutSeconds) });
  const queueEvents = new QueueEvents(QUEUE_NAME, { connection: bullClient(target, timeoutSeconds) });
  // The monitor reports a lost Redis; the clients' own errors would only repeat it.
  queue.on('error', () => {});
  queueEvents.on('error', () => {});
  let active = 0;
  let timer: NodeJS.Timeout | undefined;
  return {
    description: `the queue at ${target.display} (qmoe worker processes take the jobs)`,
    inProcess: false,
    parallel: () => Math.max(1, active),
    run(specs: RunSpec[], events: RunEvents): Promise<void> {
      const pending = new Map(specs.map((s) => [s.id, s]));
      const attempts = new Map<string, number>();
      const running = new Set<string>();
      const checking = new Set<string>();
      /** Jobs whose event came while they were being checked: checked once more after. */
      const again = new Set<string>();
      return new Promise<void>((resolve, reject) => {
        let over = false;
        const end = (e?: Error) => {
          if (over) return;
          over = true;
          if (e) reject(e);
          else resolve();
        };
        monitor.watch((message) => end(new QmoeJobsError(`${message}; the runs finished so far are kept; run the command again to go on`)));
        const finishIfDone = () => {
          if (pending.size === 0) end();
        };
        /** Reads one job's state and acts on it; one check per job at a time, an event during it checks again. */
        const check = async (id: string) => {
          const spec = pending.get(id);
          if (!spec || over) return;
          if (checking.has(id)) {
            again.add(id);
            return;
          }
          checking.add(id);
          try {
            // The state first, then the job: a job read after its state is at least that far along.
            const state = await queue.getJobState(id);
            const job = state === 'unknown' ? undefined : await queue.getJob(id);
            if (!pending.has(id)) return;
            if (!job) {
              // Gone from Redis (restarted without its data, or removed by hand): submit it again.
              await queue.add(spec.study, spec, jobOptions(spec));
              return;
            }
            if (job.attemptsMade > (attempts.get(id) ?? 0) && state !== 'failed' && state !== 'completed') {
              events.note(`${spec.label}: attempt ${job.attemptsMade} of ${ATTEMPTS} failed (${scrub(job.failedReason ?? '?', target)}); it goes back to the queue`);
            }
            attempts.set(id, job.attemptsMade);
            if (state === 'active' && !running.has(id)) {
              running.add(id);
              active = running.size;
              events.started(spec, job.processedBy ?? 'a worker');
            } else if (state !== 'active' && running.delete(id)) {
              active = running.size;
            }
            if (state === 'completed') {
              pending.delete(id);
              events.finished(spec, job.returnvalue as RunRecord);
              await job.remove().catch(() => {});
              finishIfDone();
            } else if (state === 'failed') {
              pending.delete(id);
              events.failed(spec, { message: scrub(job.failedReason ?? 'failed', target), attempts: job.attemptsMade, input: false });
              finishIfDone();
            }
          } catch (e) {
            if (!over) end(e as Error);
          } finally {
            checking.delete(id);
            if (again.delete(id)) void check(id);
          }
        };
        queueEvents.on('active', ({ jobId }) => void check(jobId));
        queueEvents.on('completed', ({ jobId }) => void check(jobId));
        queueEvents.on('failed', ({ jobId }) => void check(jobId));
        queueEvents.on('stalled', ({ jobId }) => {
          const spec = pending.get(jobId);
          if (spec) events.note(`${spec.label}: its worker stopped answering; the job goes back to the queue for another worker`);
          void check(jobId);
        });
        queueEvents.on('progress', ({ jobId, data }) => {
          const spec = pending.get(jobId);
          if (spec && isEpochRecord(data)) events.epoch(spec, data);
        });
        const reconcile = async () => {
          for (const id of [...pending.keys()]) await check(id);
        };
        (async () => {
          await queueEvents.waitUntilReady();
          await submit(queue, specs, events, target);
          finishIfDone();
          await reconcile();
          timer = setInterval(() => void reconcile(), RECONCILE_MS);
        })().catch((e) => end(e));
      });
    },
    async close() {
      if (timer) clearInterval(timer);
      monitor.close();
      const closing = Promise.all([queue.close(), queueEvents.close()]).catch(() => {});
      await Promise.race([closing, new Promise((r) => setTimeout(r, 3000))]);
      for (const c of [queue, queueEvents]) void c.disconnect?.().catch(() => {});
    },
  };
}

/**
 * Adds the runs to the queue in the order given: a job already there waits or runs (a second
 * submitter of the same run, or one that comes back), a finished one is collected by the first
 * check, one that failed for good is replaced by a fresh one.
 */
async function submit(queue: Queue, specs: RunSpec[], events: RunEvents, target: RedisTarget): Promise<void> {
  const states = await Promise.all(specs.map((s) => queue.getJobState(s.id)));
  const add: RunSpec[] = [];
  for (let i = 0; i < specs.length; i++) {
    const state = states[i];
    if (state === 'failed') {
      await queue.remove(specs[i].id);
      add.push(specs[i]);
    } else if (state === 'unknown') {
      add.push(specs[i]);
    }
  }
  if (add.length > 0) await queue.addBulk(add.map((s) => ({ name: s.study, data: s, opts: jobOptions(s) })));
  const there = specs.length - add.length;
  if (there > 0) events.note(`${there} of the runs were in the queue at ${target.display} already`);
}

function isEpochRecord(v: unknown): v is EpochRecord {
  const r = v as EpochRecord;
  return typeof r === 'object' && r !== null && [r.epoch, r.trainLoss, r.trainAccuracy, r.valLoss, r.valAccuracy].every((x) => typeof x === 'number');
}
