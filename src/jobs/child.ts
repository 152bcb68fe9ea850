import type { TrainHooks } from '../experiments/runner.js';
import { errorData } from './executor.js';
import { DataCache, executeRun } from './execute.js';
import type { ChildMessage, ParentMessage } from './pool.js';
import { checkRunSpec } from './spec.js';

/**
 * The main of a worker process (bin/job-child.mjs, forked by src/jobs/pool.ts): trains one spec
 * at a time as its parent sends them, reports epochs and the record back over the IPC channel,
 * and exits when the parent goes away.
 */
if (!process.send) {
  process.stderr.write('qmoe: bin/job-child.mjs is started by qmoe (a study with --workers, or qmoe worker), not by hand\n');
  process.exit(2);
}
const send = (m: ChildMessage) => process.send!(m);
const cache = new DataCache();
process.on('disconnect', () => process.exit(0));
process.on('message', async (m: ParentMessage) => {
  if (m?.type !== 'run') return;
  const id = m.spec?.id;
  try {
    const spec = checkRunSpec(m.spec);
    const hooks: TrainHooks = {
      onEpoch: (record) => send({ type: 'epoch', id, record }),
      onProgress: m.progressSeconds === undefined ? undefined : (progress) => send({ type: 'batch', id, progress }),
      progressSeconds: m.progressSeconds,
    };
    send({ type: 'done', id, run: await executeRun(spec, hooks, cache) });
  } catch (e) {
    send({ type: 'error', id, error: errorData(e) });
  }
});
send({ type: 'ready' });
