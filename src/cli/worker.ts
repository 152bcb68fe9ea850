import { DEFAULT_REDIS_TIMEOUT, PASSWORD_ENV, parseRedisUrl } from '../jobs/redis-url.js';
import { defineCommand, flag, int, num, text } from './args.js';
import { required } from './common-options.js';
import { WORKER_USAGE } from './usages.js';

export const WORKER_HELP = `${WORKER_USAGE}

Trains the runs that study commands put in the queue (qmoe ablation|sweep|noise-sweep --queue
URL): takes a job, trains it in a worker process of its own (with its own device, on the engine
the study's --backend chose) and returns the run record, which the submitting command writes to
its DIR/runs. Start one on each machine; stop it with Ctrl-C (its runs in progress go back to the
queue). A job that is not a valid run spec fails alone and the worker goes on; a run that fails is
tried again (3 attempts in all, on any worker).

  --queue URL         redis://[[user]:password@]host[:port][/db] or rediss:// (TLS); the password
                      may come from ${PASSWORD_ENV} instead, and is never printed
  --concurrency N     runs trained at once, each in its own process (default 1)
  --stall-seconds S   a job whose worker stops answering this long (killed, machine lost) goes back
                      to the queue for another worker (default 30; a restart of Redis shorter
                      than this keeps the runs in progress)
  --redis-timeout S   exit 1 when Redis does not answer for S seconds (default ${DEFAULT_REDIS_TIMEOUT})
  --quiet             no lines per job on stderr
`;

export const WORKER = defineCommand({
  usage: WORKER_USAGE,
  help: WORKER_HELP,
  options: { queue: text(), concurrency: int(1, 256), 'stall-seconds': num(1, 86400), 'redis-timeout': num(0, 86400, { above: true }), quiet: flag() },
  async run(values, { command }) {
    const target = parseRedisUrl(required(command, 'queue', 'URL', values.queue, WORKER_USAGE));
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      // BullMQ and ioredis load only here: every other command starts without them.
      const { runWorker } = await import('../jobs/worker.js');
      return await runWorker({
        target,
        concurrency: values.concurrency ?? 1,
        stallSeconds: values['stall-seconds'] ?? 30,
        timeoutSeconds: values['redis-timeout'] ?? DEFAULT_REDIS_TIMEOUT,
        log: values.quiet ? () => {} : (line) => process.stderr.write(`qmoe worker: ${new Date().toISOString().slice(11, 19)} ${line}\n`),
        signal: stop.signal,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});
