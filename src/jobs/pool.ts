import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { CPU_THREADS_ENV } from '../cpu/pool-node.js';
import { fileURLToPath } from 'node:url';
import type { RunRecord } from '../experiments/runner.js';
import type { EpochProgress, EpochRecord } from '../train/trainer.js';
import type { ErrorData, Executor, RunEvents } from './executor.js';
import type { RunSpec } from './spec.js';

/** From a pool to its worker process. */
export type ParentMessage = { type: 'run'; spec: RunSpec; progressSeconds?: number };

/** From a worker process to its pool. */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'epoch'; id: string; record: EpochRecord }
  | { type: 'batch'; id: string; progress: EpochProgress }
  | { type: 'done'; id: string; run: RunRecord }
  | { type: 'error'; id: string; error: ErrorData };

/** A run that failed in a worker process: the error it threw, or the death of the process (`crashed`). */
export class RunError extends Error {
  readonly input: boolean;
  readonly crashed: boolean;
  constructor(message: string, o: { input?: boolean; crashed?: boolean } = {}) {
    super(message);
    this.name = 'RunError';
    this.input = o.input === true;
    this.crashed = o.crashed === true;
  }
}

export interface PoolRunOptions {
  progressSeconds?: number;
  onStart?: (where: string) => void;
  onEpoch?: (r: EpochRecord) => void;
  onBatch?: (p: EpochProgress) => void;
}

interface Slot {
  index: number;
  child?: ChildProcess;
  busy: boolean;
}

const CHILD = fileURLToPath(new URL('../../bin/job-child.mjs', import.meta.url));

/**
 * The environment of `size` local worker processes: each gets its share of the cores for the fast
 * CPU engine's threads (QMOE_CPU_THREADS), unless the caller set it; otherwise every process
 * would start a thread per core and `--workers 2` would run 4 threads on 2 cores.
 */
export function workerEnv(size: number, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env[CPU_THREADS_ENV] !== undefined && env[CPU_THREADS_ENV] !== '') return env;
  return { ...env, [CPU_THREADS_ENV]: String(Math.max(1, Math.floor(availableParallelism() / size))) };
}

/**
 * `size` worker processes (bin/job-child.mjs), each training one run at a time in its own
 * process, with its own device when the run asks for the GPU. A process is started when a run
 * first needs it and again after it died; the training itself blocks a worker's event loop, so it
 * is the worker processes that train and the caller's loop stays free (BullMQ lock renewal,
 * progress). They leave with the pool (close) or when their parent goes away.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private closed = false;

  constructor(
    readonly size: number,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.slots = Array.from({ length: size }, (_, index) => ({ index, busy: false }));
  }

  /** Trains `spec` in a free worker process (waiting for one) and returns its record. */
  async run(spec: RunSpec, o: PoolRunOptions = {}): Promise<RunRecord> {
    const slot = await this.acquire();
    try {
      return await this.runIn(slot, spec, o);
    } finally {
      this.release(slot);
    }
  }

  /** Starts every worker process now (they load their modules while the caller prepares its runs). */
  start(): void {
    if (!this.closed) for (const slot of this.slots) this.childOf(slot);
  }

  /** Stops every worker process (a run in progress is lost). */
  async close(): Promise<void> {
    this.closed = true;
    const exits = this.slots.map((s) => {
      const child = s.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGKILL');
      });
    });
    await Promise.all(exits);
  }

  private acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(new RunError('the worker pool is closed'));
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next && !this.closed) next(slot);
    else slot.busy = false;
  }

  private childOf(slot: Slot): ChildProcess {
    const c = slot.child;
    if (c && c.exitCode === null && c.signalCode === null && c.connected) return c;
    const child = fork(CHILD, [], { env: this.env, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    // Errors arrive as 'exit' too; a send to a process that died must not throw out of the pool.
    child.on('error', () => {});
    slot.child = child;
    return child;
  }

  private runIn(slot: Slot, spec: RunSpec, o: PoolRunOptions): Promise<RunRecord> {
    const child = this.childOf(slot);
    const where = `worker process ${slot.index + 1} (pid ${child.pid})`;
    o.onStart?.(where);
    return new Promise<RunRecord>((resolve, reject) => {
      const done = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (m: ChildMessage) => {
        if (m.type === 'ready' || m.id !== spec.id) return;
        if (m.type === 'epoch') o.onEpoch?.(m.record);
        else if (m.type === 'batch') o.onBatch?.(m.progress);
        else if (m.type === 'done') {
          done();
          resolve(m.run);
        } else if (m.type === 'error') {
          done();
          reject(new RunError(m.error.message, { input: m.error.input }));
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        done();
        reject(new RunError(`${where} ended (${signal ? `signal ${signal}` : `exit code ${code}`}) while training ${spec.label}`, { crashed: true }));
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      const message: ParentMessage = { type: 'run', spec, progressSeconds: o.progressSeconds };
      child.send(message, (e) => {
        if (e) onExit(child.exitCode, child.signalCode);
      });
    });
  }
}

/** Attempts of a run in a pool or a queue before it counts as failed (bad input fails at once). */
export const ATTEMPTS = 3;

/**
 * Runs the specs on a pool of `size` worker processes (the longest first, as given): a run that
 * throws bad input fails at once; another error, or the death of its process, is retried up to
 * ATTEMPTS times in all.
 */
export function poolExecutor(size: number, env: NodeJS.ProcessEnv = process.env): Executor {
  const pool = new WorkerPool(size, workerEnv(size, env));
  // The caller makes this executor only for runs to train: every process will be needed.
  pool.start();
  let running = 0;
  return {
    description: `${size} worker processes`,
    inProcess: false,
    parallel: () => Math.max(1, Math.min(size, running)),
    async run(specs: RunSpec[], events: RunEvents, o: { progressSeconds?: number }): Promise<void> {
      await Promise.all(
        specs.map(async (spec) => {
          for (let attempt = 1; ; attempt++) {
            let run: RunRecord;
            try {
              run = await pool.run(spec, {
                progressSeconds: o.progressSeconds,
                onStart: (where) => {
                  running++;
                  if (attempt === 1) events.started(spec, where);
                  else events.note(`${spec.label}: attempt ${attempt} of ${ATTEMPTS} on ${where}`);
                },
                onEpoch: (r) => events.epoch(spec, r),
                onBatch: (p) => events.batch(spec, p),
              });
            } catch (e) {
              running = Math.max(0, running - 1);
              const err = e instanceof RunError ? e : new RunError(String((e as Error)?.message ?? e));
              if (err.input || attempt >= ATTEMPTS) {
                events.failed(spec, { message: err.message, attempts: attempt, input: err.input });
                return;
              }
              events.note(`${spec.label}: attempt ${attempt} of ${ATTEMPTS} failed: ${err.message}`);
              continue;
            }
            running--;
            events.finished(spec, run);
            return;
          }
        }),
      );
    },
    close: () => pool.close(),
  };
}
