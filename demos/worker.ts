import { gpuReport } from './lib/engine.js';
import type { FromWorker, ToWorker } from './lib/protocol.js';
import { Session } from './lib/session.js';

/**
 * The playground's worker: everything that computes (data, training, scores, maps, model-file
 * checks) runs here with the same src/ code as Node, on the worker's own WebGPU device
 * (navigator.gpu exists in workers) or the CPU engine; the page only renders what it posts.
 */
const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((ev: MessageEvent<ToWorker>) => void) | null };
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
const session = new Session(post);

scope.onmessage = (ev) => {
  const m = ev.data;
  const fail = (e: unknown) => post({ type: 'error', message: (e as Error).message ?? String(e) });
  switch (m.type) {
    case 'hello':
      gpuReport().then((gpu) => post({ type: 'gpu', gpu }), fail);
      break;
    case 'data':
      session.data(m.setup, m.token);
      break;
    case 'csv':
      session.csvText(m.text, m.name, m.token);
      break;
    case 'train':
      session.train(m.setup, m.confirmed).catch(fail);
      break;
    case 'control':
      session.control(m.action);
      break;
    case 'load':
      session.load(m.text, m.name, m.engine).catch(fail);
      break;
    case 'probe':
      session.probe(m.x, m.y, m.token).catch(fail);
      break;
  }
};
