import type { WorkerPool } from './pool.js';

/**
 * A worker pool for the environment: Node's worker_threads or the browser's Web Workers, with
 * `threads - 1` workers (the calling thread is the other one); default all the cores the
 * environment reports. null for a single thread, or where there are no workers.
 */
export async function createPool(threads?: number): Promise<WorkerPool | null> {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (isNode) {
    const m = await import('./pool-node.js');
    const t = threads ?? m.nodeThreads();
    return t > 1 ? m.createNodePool(t - 1) : null;
  }
  if (typeof Worker === 'undefined') return null;
  const m = await import('./pool-browser.js');
  const t = threads ?? m.browserThreads();
  return t > 1 ? m.createBrowserPool(t - 1) : null;
}
