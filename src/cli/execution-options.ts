import type { ExecutionChoice } from '../jobs/execution-choice.js';
import { DEFAULT_REDIS_TIMEOUT, PASSWORD_ENV, parseRedisUrl, redactArgs } from '../jobs/redis-url.js';
import { UsageError, num, parseDecimal, text } from './args.js';

/** The most local worker processes --workers starts. */
export const MAX_WORKERS = 1024;

/** Where a study's runs are trained: --workers N|auto, --queue URL, --redis-timeout S. */
export const EXECUTION_OPTIONS = {
  workers: text(),
  queue: text(),
  'redis-timeout': num(0, 86400, { above: true }),
} as const;

export const EXECUTION_HELP = `  --workers N|auto  train in N local worker processes, each with its own device (default auto:
                   one per core on the CPU engine, one per GPU adapter on the GPU engine; never more
                   than the runs to train; 1 trains in this process)
  --queue URL      put the runs in a BullMQ queue on Redis instead and wait for them, with
                   progress: redis://[[user]:password@]host[:port][/db] or rediss:// (TLS); the
                   password may come from ${PASSWORD_ENV} instead; 'qmoe worker --queue URL'
                   on any machine trains them (qmoe help worker)
  --redis-timeout S  give up (exit 1) when Redis does not answer for S seconds (default ${DEFAULT_REDIS_TIMEOUT})
`;

/** The integer or 'auto' of --workers; a UsageError naming it otherwise. */
function workersValue(command: string, raw: string, usage: string): number | 'auto' {
  if (raw === 'auto') return 'auto';
  const n = parseDecimal(raw);
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new UsageError(`${command}: --workers ${JSON.stringify(raw)}: must be auto or an integer from 1 to ${MAX_WORKERS}`, usage);
  }
  return n;
}

/** The execution choice of a study command's options (local workers, auto, unless --queue). */
export function executionFrom(command: string, values: { workers?: string; queue?: string; 'redis-timeout'?: number }, usage: string): ExecutionChoice {
  if (values.queue !== undefined && values.workers !== undefined) {
    throw new UsageError(`${command}: --workers and --queue exclude each other (with --queue, 'qmoe worker' processes train the runs)`, usage);
  }
  if (values.queue !== undefined) return { kind: 'queue', target: parseRedisUrl(values.queue), timeoutSeconds: values['redis-timeout'] ?? DEFAULT_REDIS_TIMEOUT };
  if (values['redis-timeout'] !== undefined) throw new UsageError(`${command}: --redis-timeout applies to --queue`, usage);
  return { kind: 'workers', workers: workersValue(command, values.workers ?? 'auto', usage) };
}

/** The command line as the outputs and the lock record it: every URL's password replaced by ***. */
export function recordedCommand(name: string, args: readonly string[]): string {
  return [`qmoe ${name}`, ...redactArgs(args)].join(' ');
}
