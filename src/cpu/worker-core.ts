import { Workspace } from './chunk.js';
import { runJob, type ChunkJob, type ChunkResult } from './tasks.js';

/**
 * What a fast-CPU worker thread does with a request, the same in Node (worker-node.ts) and in a
 * browser (worker-browser.ts). Each worker keeps its own scratch states between requests.
 */
export type WorkerRequest = { id?: number; type: 'chunks'; job: ChunkJob };

export type WorkerResponse = { id: number; type: 'chunks'; results: ChunkResult[] } | { id: number; type: 'error'; message: string };

/** The buffers of a job's results, to transfer rather than copy. */
export function resultBuffers(results: ChunkResult[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const r of results) {
    for (const a of [r.out, r.C, r.featureGrad]) if (a) out.push(a.buffer as ArrayBuffer);
  }
  return out;
}

export function createWorkerHandler(): (request: WorkerRequest & { id: number }) => { response: WorkerResponse; transfer: ArrayBuffer[] } {
  const spaces = new Map<boolean, Workspace>();
  const workspace = (wasm: boolean) => {
    let ws = spaces.get(wasm);
    if (!ws) spaces.set(wasm, (ws = new Workspace(wasm)));
    return ws;
  };
  return (request) => {
    try {
      if (request.type === 'chunks') {
        const results = runJob(request.job, workspace(request.job.wasm));
        return { response: { id: request.id, type: 'chunks', results }, transfer: resultBuffers(results) };
      }
      return { response: { id: request.id, type: 'error', message: `unknown request ${JSON.stringify((request as { type: unknown }).type)}` }, transfer: [] };
    } catch (e) {
      return { response: { id: request.id, type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }, transfer: [] };
    }
  };
}
