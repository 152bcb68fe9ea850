/**
 * Test hook, for tests only (like QMOE_TEST_WRITE_HOOK of src/train/result-set.ts):
 * QMOE_TEST_JOB_HOOK="sleep:MS" makes every run wait MS milliseconds before it trains (a worker
 * stays busy long enough to be killed or to see Redis restart mid-run); "fail:PREFIX" makes every
 * run whose id starts with PREFIX throw (a job that fails on every attempt). Several actions are
 * separated by commas.
 */
export async function jobTestHook(id: string): Promise<void> {
  const spec = process.env.QMOE_TEST_JOB_HOOK;
  if (!spec) return;
  for (const action of spec.split(',')) {
    const sleep = /^sleep:(\d+)$/.exec(action);
    if (sleep) await new Promise((resolve) => setTimeout(resolve, Number(sleep[1])));
    if (action.startsWith('fail:') && id.startsWith(action.slice(5))) throw new Error(`test hook: run ${id} fails on purpose`);
  }
}
