import { QmoeInputError } from '../errors.js';
import type { RunRecord } from '../experiments/runner.js';
import type { EpochProgress, EpochRecord } from '../train/trainer.js';
import { DataCache, executeRun } from './execute.js';
import type { RunSpec } from './spec.js';

/** What happens to the runs of a study while an executor runs them (the study saves and reports). */
export interface RunEvents {
  /** A run was handed to a worker (`where`: which one, for the progress). */
  started(spec: RunSpec, where?: string): void;
  epoch(spec: RunSpec, r: EpochRecord): void;
  batch(spec: RunSpec, p: EpochProgress): void;
  /** The record of a finished run (its file is written before this returns). */
  finished(spec: RunSpec, run: RunRecord): void;
  /** A run failed for good (after its last attempt). */
  failed(spec: RunSpec, failure: RunFailure): void;
  /** A line about the executor itself (a worker lost, Redis back). */
  note(line: string): void;
}

/** Why a run failed: the last error, how many attempts were made, and whether it was bad input (exit 2). */
export interface RunFailure {
  message: string;
  attempts: number;
  input: boolean;
}

/** Runs specs somewhere: in this process, in local worker processes, or through a queue. */
export interface Executor {
  /** For the progress: "this process", "3 worker processes", "the queue at redis://host:6379/0". */
  readonly description: string;
  /** Runs one after the other in this process, in the order given (the others start the longest first). */
  readonly inProcess: boolean;
  /** How many runs it makes at once (for the ETA), when known. */
  readonly parallel: () => number;
  /**
   * Runs every spec and reports through `events`; resolves when each one finished or failed for
   * good. Rejects only when the executor itself fails (Redis unreachable for too long).
   */
  run(specs: RunSpec[], events: RunEvents, o: { progressSeconds?: number }): Promise<void>;
  /** Stops its processes and connections. */
  close(): Promise<void>;
}

/** An error as plain data, for a message between processes. */
export interface ErrorData {
  name: string;
  message: string;
  /** A QmoeInputError (bad input: exit 2 on the CLI). */
  input: boolean;
}

export function errorData(e: unknown): ErrorData {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, input: e instanceof QmoeInputError };
}

/**
 * Runs the specs one after the other in this process, as the study commands always did: the
 * first error ends the study (finished runs are kept).
 */
export function inProcessExecutor(): Executor {
  const cache = new DataCache();
  return {
    description: 'this process',
    inProcess: true,
    parallel: () => 1,
    async run(specs, events, o) {
      for (const spec of specs) {
        events.started(spec);
        const run = await executeRun(spec, { onEpoch: (r) => events.epoch(spec, r), onProgress: o.progressSeconds === undefined ? undefined : (p) => events.batch(spec, p), progressSeconds: o.progressSeconds }, cache);
        events.finished(spec, run);
      }
    },
    close: async () => {},
  };
}
