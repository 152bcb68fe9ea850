import { createWorkerHandler } from './worker-core.js';

/** The Web Worker of the fast CPU engine in a browser (started by pool-browser.ts). */
const handle = createWorkerHandler();
const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage: (m: unknown, t: ArrayBuffer[]) => void };
scope.onmessage = (e: MessageEvent) => {
  const { response, transfer } = handle(e.data);
  scope.postMessage(response, transfer);
};
