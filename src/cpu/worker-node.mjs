// Entry of a fast-CPU worker thread in Node: workers do not inherit the main thread's tsx hooks,
// so this plain module registers them before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker-node.ts');
