import { parentPort } from 'node:worker_threads';
import { createWorkerHandler } from './worker-core.js';

/** The Node worker thread of the fast CPU engine (started by pool-node.ts through worker-node.mjs). */
const handle = createWorkerHandler();
parentPort!.on('message', (request) => {
  const { response, transfer } = handle(request);
  parentPort!.postMessage(response, transfer);
});
