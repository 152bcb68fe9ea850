import type { WorkerRequest, WorkerResponse } from './worker-core.js';

/**
 * The seam between the fast CPU engine and threads: a pool of workers that each run requests of
 * worker-core.ts. Node's worker_threads (pool-node.ts) and the browser's Web Workers
 * (pool-browser.ts) implement it; this file has no Node-only import, so the engine's core runs in
 * a page as it does in Node. The calling thread always takes a share of the work itself.
 */
export interface WorkerPool {
  /** Worker threads besides the calling one. */
  readonly size: number;
  /** Sends one request to worker `index` (0 .. size - 1) and resolves with its response. */
  call(index: number, request: WorkerRequest, transfer?: ArrayBuffer[]): Promise<WorkerResponse>;
  /** Ends every worker; later calls fail. */
  dispose(): void;
}

/** Splits `count` items into `parts` contiguous ranges of nearly equal size (empty ones dropped). */
export function splitRanges(count: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const p = Math.max(1, Math.min(parts, count));
  for (let i = 0; i < p; i++) {
    const a = Math.floor((i * count) / p), b = Math.floor(((i + 1) * count) / p);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/**
 * A message port in the shape both Node's Worker and the browser's Worker have after a small
 * adapter: post a message, get messages and fatal errors back.
 */
export interface PortLike {
  post(message: unknown, transfer: ArrayBuffer[]): void;
  onMessage(fn: (message: unknown) => void): void;
  onFatal(fn: (error: Error) => void): void;
  /** Lets the process exit while the worker idles (Node); a no-op in the browser. */
  idle(idle: boolean): void;
  terminate(): void;
}

/** A pool over ports made by `spawn`, started lazily, a port respawned after it failed. */
export class PortPool implements WorkerPool {
  readonly size: number;
  private readonly spawn: () => PortLike;
  private readonly ports: (PortLike | null)[];
  private readonly waiting = new Map<number, { port: number; resolve: (r: WorkerResponse) => void; reject: (e: Error) => void }>();
  private busy: number[];
  private nextId = 1;
  private disposed = false;

  constructor(size: number, spawn: () => PortLike) {
    this.size = size;
    this.spawn = spawn;
    this.ports = new Array(size).fill(null);
    this.busy = new Array(size).fill(0);
  }

  private port(index: number): PortLike {
    let port = this.ports[index];
    if (port) return port;
    port = this.spawn();
    port.onMessage((m) => this.settle(index, m as WorkerResponse));
    port.onFatal((e) => this.fail(index, e));
    port.idle(true);
    this.ports[index] = port;
    return port;
  }

  private settle(index: number, response: WorkerResponse): void {
    const w = this.waiting.get(response.id);
    if (!w) return;
    this.waiting.delete(response.id);
    this.setBusy(index, -1);
    if (response.type === 'error') w.reject(new Error(`fast CPU worker: ${response.message}`));
    else w.resolve(response);
  }

  private fail(index: number, error: Error): void {
    const port = this.ports[index];
    this.ports[index] = null;
    this.busy[index] = 0;
    try {
      port?.terminate();
    } catch {
      // already gone
    }
    for (const [id, w] of this.waiting) {
      if (w.port !== index) continue;
      this.waiting.delete(id);
      w.reject(new Error(`fast CPU worker ${index} failed: ${error.message}`));
    }
  }

  private setBusy(index: number, delta: number): void {
    this.busy[index] += delta;
    this.ports[index]?.idle(this.busy[index] === 0);
  }

  call(index: number, request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerResponse> {
    if (this.disposed) return Promise.reject(new Error('the worker pool was disposed'));
    const port = this.port(index);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { port: index, resolve, reject });
      this.setBusy(index, 1);
      try {
        port.post({ ...request, id }, transfer);
      } catch (e) {
        this.waiting.delete(id);
        this.setBusy(index, -1);
        reject(e as Error);
      }
    });
  }

  dispose(): void {
    this.disposed = true;
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.reject(new Error('the worker pool was disposed'));
    }
    this.ports.forEach((p, i) => {
      p?.terminate();
      this.ports[i] = null;
    });
  }
}
