import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PortPool, type PortLike, type WorkerPool } from './pool.js';

/** Threads Node offers this process (the calling thread included). */
export function nodeThreads(): number {
  return Math.max(1, availableParallelism());
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
