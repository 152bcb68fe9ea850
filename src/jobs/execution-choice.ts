import type { RedisTarget } from './redis-url.js';

/**
 * Where a study trains its runs (types only, so that the studies' options can name it):
 * - in-process: one after the other in this process (the library's default);
 * - workers: N local worker processes, or 'auto' (one per GPU adapter the engine can use; on the
 *   CPU engine, one per core), never more than there are runs to train;
 * - queue: jobs in a BullMQ queue on Redis, trained by `qmoe worker` processes anywhere.
 */
export type ExecutionChoice =
  | { kind: 'in-process' }
  | { kind: 'workers'; workers: number | 'auto' }
  | { kind: 'queue'; target: RedisTarget; timeoutSeconds: number };
