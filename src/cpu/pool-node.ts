import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { QmoeInputError } from '../errors.js';
import { PortPool, type PortLike, type WorkerPool } from './pool.js';

/** The environment variable that sets the fast CPU engine's threads in a process. */
export const CPU_THREADS_ENV = 'QMOE_CPU_THREADS';

/**
 * Threads of the fast CPU engine in this process (the calling thread included): QMOE_CPU_THREADS
 * when set (local job workers get their share of the cores through it), else every core.
 */
export function nodeThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[CPU_THREADS_ENV];
  if (raw === undefined || raw === '') return Math.max(1, availableParallelism());
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1 || n > 1024) throw new QmoeInputError(CPU_THREADS_ENV, raw, 'must be an integer from 1 to 1024 (threads of the fast CPU engine in this process)');
  return n;
}

/** The worker's entry, named through a variable: bundlers (Vite) must not take it for a browser worker. */
const ENTRY = './worker-node.mjs';

function spawnNode(): PortLike {
  const worker = new Worker(new URL(ENTRY, import.meta.url));
  return {
    post: (m, t) => worker.postMessage(m, t),
    onMessage: (fn) => worker.on('message', fn),
    onFatal: (fn) => {
      worker.on('error', fn);
      worker.on('exit', (code) => fn(new Error(`the worker exited with code ${code}`)));
    },
    idle: (idle) => (idle ? worker.unref() : worker.ref()),
    terminate: () => void worker.terminate(),
  };
}

/** A pool of `size` Node worker threads (started on first use; idle workers do not keep the process alive). */
export function createNodePool(size: number): WorkerPool {
  return new PortPool(size, spawnNode);
}
