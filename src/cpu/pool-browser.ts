import { PortPool, type PortLike, type WorkerPool } from './pool.js';

/** Threads the browser offers (navigator.hardwareConcurrency, the page's thread included). */
export function browserThreads(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, Math.min(n ?? 1, 64));
}

function spawnBrowser(): PortLike {
  // Vite bundles the worker from this exact `new Worker(new URL(...), { type: 'module' })` form.
  const worker = new Worker(new URL('./worker-browser.ts', import.meta.url), { type: 'module' });
  return {
    post: (m, t) => worker.postMessage(m, t),
    onMessage: (fn) => worker.addEventListener('message', (e) => fn(e.data)),
    onFatal: (fn) => worker.addEventListener('error', (e) => fn(new Error(e.message || 'the Web Worker failed'))),
    idle: () => {},
    terminate: () => worker.terminate(),
  };
}

/** A pool of `size` Web Workers (started on first use). */
export function createBrowserPool(size: number): WorkerPool {
  return new PortPool(size, spawnBrowser);
}
