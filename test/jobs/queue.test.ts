import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../src/experiments/sweep.js';
import { planSweep } from '../../src/experiments/sweep.js';
import { QUEUE_NAME } from '../../src/jobs/queue.js';
import { runQmoe, spawnQmoe, type QmoeProcess } from '../helpers/cli.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis.js';
import { runNames } from '../helpers/runs.js';
import { TINY_SWEEP_ARGS, sweepTables, tinySweep } from '../helpers/study-tables.js';

/**
 * The queue against a real Redis (Debian's redis-server, started here on a free port with a
 * password and an append-only file, stopped in afterAll): workers that are killed, a Redis that
 * restarts, malformed jobs, a job that fails on every attempt, an unreachable Redis, and no
 * password in any output or file. The tables always equal those of one process.
 */
const PASSWORD = 'pw-Qmoe-7f3a9c';
const dir = mkdtempSync(join(tmpdir(), 'qmoe-queue-'));
let redis: RedisServer;
let queue: Queue;
const started: QmoeProcess[] = [];
let reference: ReturnType<typeof sweepTables>;

/** Every process of this file, and all it printed: checked for the password at the end. */
function spawn(args: string[], env: Record<string, string> = {}): QmoeProcess {
  const p = spawnQmoe(args, env);
  started.push(p);
  return p;
}

/** A `qmoe worker` on the test's Redis; `hook` slows or fails its runs (QMOE_TEST_JOB_HOOK). */
function worker(hook: string, stallSeconds: number): QmoeProcess {
  return spawn(['worker', '--queue', redis.url, '--stall-seconds', String(stallSeconds), '--redis-timeout', '60'], { QMOE_TEST_JOB_HOOK: hook });
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ready = (w: QmoeProcess) => until('a worker to wait for jobs', () => w.stderr().includes('waiting for jobs') || undefined);
const why = (p: QmoeProcess) => `stdout:\n${p.stdout()}\nstderr:\n${p.stderr()}`;
const submit = (out: string, ...more: string[]) => spawn([...TINY_SWEEP_ARGS, '--out', out, '--queue', redis.url, '--redis-timeout', '60', ...more]);

let a: QmoeProcess;
let b: QmoeProcess;

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD, persist: true });
  const client = new Redis({ host: '127.0.0.1', port: redis.port, password: PASSWORD, maxRetriesPerRequest: null });
  client.on('error', () => {});
  queue = new Queue(QUEUE_NAME, { connection: client });
  queue.on('error', () => {});
  // Two workers whose runs take at least 0.4 s, so that a restart of Redis falls mid-sweep.
  a = worker('sleep:400', 3);
  b = worker('sleep:400', 3);
  await runSweep(tinySweep(join(dir, 'reference')));
  reference = sweepTables(join(dir, 'reference'));
  await Promise.all([ready(a), ready(b)]);
});

afterAll(async () => {
  for (const p of started) p.kill('SIGKILL');
  await Promise.all(started.map((p) => p.exit));
  await queue?.close().catch(() => {});
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('studies on a BullMQ queue (real Redis)', () => {
  it('a malformed job fails alone, naming the field; the worker goes on', async () => {
    const good = planSweep(tinySweep(join(dir, 'unused'))).specs[0];
    const broken = { ...good, config: { ...good.config, budget: { ...good.config.budget, epochs: 0 } } };
    const changed = { ...good, seed: 7 };
    await queue.add('sweep', { hello: 'world' }, { jobId: 'bad-object', attempts: 3 });
    await queue.add('sweep', broken, { jobId: 'bad-epochs', attempts: 3 });
    await queue.add('sweep', changed, { jobId: 'bad-hash', attempts: 3 });
    for (const id of ['bad-object', 'bad-epochs', 'bad-hash']) await until(`${id} to fail`, async () => ((await queue.getJobState(id)) === 'failed' ? true : undefined));
    const reason = async (id: string) => {
      const job = (await queue.getJob(id))!;
      expect(job.attemptsMade, id).toBe(1);
      return job.failedReason;
    };
    expect(await reason('bad-object')).toMatch(/^malformed job bad-object: job\.format: undefined is invalid; must be "qmoe-run-spec"/);
    expect(await reason('bad-epochs')).toMatch(/^malformed job bad-epochs: job\.config\.budget\.epochs: 0 is invalid; must be an integer from 1 to 1000000/);
    expect(await reason('bad-hash')).toMatch(/^malformed job bad-hash: job\.id: .* does not match the run's name, configuration and seed/);
    expect(a.stderr() + b.stderr()).toMatch(/malformed job bad-epochs: .*refused \(the job fails, this worker goes on\)/);
    for (const id of ['bad-object', 'bad-epochs', 'bad-hash']) await queue.remove(id);
    // Both workers still run and take the next sweep's jobs (next tests).
    expect(a.stderr()).not.toMatch(/internal error/);
  });

  it('3 workers, one SIGKILLed mid-job: its job goes to another worker and the tables equal one process', async () => {
    // A third worker whose runs never end on their own: whatever job it takes, it is killed holding it.
    const k = worker('sleep:600000', 2);
    await ready(k);
    const out = join(dir, 'killed');
    const s = submit(out);
    const held = await until('the third worker to hold a job', async () => {
      const active = await queue.getActive();
      return active.find((j) => j.processedBy?.endsWith(`:${k.pid}`));
    });
    k.kill('SIGKILL');
    const r = await s.exit;
    expect(r.code, why(s)).toBe(0);
    expect(s.stderr()).toMatch(/its worker stopped answering; the job goes back to the queue/);
    expect(a.stderr() + b.stderr()).toContain(`(${held.id}): started`);
    expect(sweepTables(out)).toEqual(reference);
    expect(await queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 });
  });

  /** Submits the sweep, stops Redis once the first run is written, `meanwhile`, starts it again; the sweep must finish. */
  async function restartMidSweep(name: string, meanwhile: () => Promise<void> | void): Promise<void> {
    const out = join(dir, name);
    const s = submit(out);
    await until('the first run file', () => (existsSync(join(out, 'runs')) && readdirSync(join(out, 'runs')).some((f) => f.endsWith('.json'))) || undefined);
    await redis.halt();
    const doneAtStop = runNames(out).length;
    await meanwhile();
    await redis.start();
    const r = await s.exit;
    expect(r.code, why(s)).toBe(0);
    expect(doneAtStop).toBeLessThan(5);
    expect(sweepTables(out)).toEqual(reference);
  }

  it('Redis restarts mid-sweep: the sweep finishes with the same tables', () => restartMidSweep('restart', () => new Promise((r) => setTimeout(r, 300))));

  it('Redis restarts without its data mid-sweep: the lost jobs are submitted again', () =>
    restartMidSweep('amnesia', () => {
      // As a Redis without persistence comes back: empty.
      for (const f of readdirSync(redis.dir)) if (f !== 'redis.log') rmSync(join(redis.dir, f), { recursive: true, force: true });
    }));

  it('a run that fails on every attempt: exit 1 naming it, the finished runs kept, a second submission finishes', async () => {
    for (const w of [a, b]) w.kill('SIGTERM');
    await Promise.all([a.exit, b.exit]);
    expect(a.stderr()).toMatch(/stopping: the runs in progress go back to the queue/);
    const f = worker('fail:mlp-h2', 3);
    await ready(f);
    const out = join(dir, 'failing');
    const s = submit(out);
    const r = await s.exit;
    expect(r.code, why(s)).toBe(1);
    expect(s.stderr()).toMatch(/qmoe: sweep: 1 of 5 runs failed; the 4 finished runs are kept in .*runs, the tables are not written/);
    expect(s.stderr()).toMatch(/mlp-h2 seed 0 \(mlp-h2-seed0-[0-9a-f]{16}\), 3 attempts: test hook: run mlp-h2-seed0-[0-9a-f]{16} fails on purpose/);
    expect(runNames(out)).toEqual(['linear-seed0', 'mlp-h4-seed0', 'quantum-q2-l1-seed0', 'quantum-q2-l2-seed0']);
    expect(existsSync(join(out, 'sweep.json'))).toBe(false);
    f.kill('SIGTERM');
    await f.exit;
    // Another worker: the failed job is submitted afresh, only it is trained, the tables are the same.
    const mtimes = readdirSync(join(out, 'runs')).map((n) => statSync(join(out, 'runs', n)).mtimeMs);
    const g = worker('', 30);
    await ready(g);
    const again = submit(out);
    expect((await again.exit).code, why(again)).toBe(0);
    expect(again.stderr()).toContain('4 of 5 runs found');
    expect(readdirSync(join(out, 'runs')).filter((n) => n.endsWith('.json')).map((n) => statSync(join(out, 'runs', n)).mtimeMs)).toEqual(expect.arrayContaining(mtimes));
    expect(sweepTables(out)).toEqual(reference);
    g.kill('SIGTERM');
    await g.exit;
  });

  it('an unreachable or refusing Redis: exit 1 within the timeout, a malformed URL: exit 2, never the password', async () => {
    const port = await freePort();
    const out = (name: string) => join(dir, `unreachable-${name}`);
    const [closed, wrong, bad, lonely] = await Promise.all([
      runQmoe([...TINY_SWEEP_ARGS, '--out', out('closed'), '--queue', `redis://:${PASSWORD}@127.0.0.1:${port}`, '--redis-timeout', '1'], 60_000),
      runQmoe([...TINY_SWEEP_ARGS, '--out', out('wrong'), '--queue', `redis://:not-${PASSWORD}@127.0.0.1:${redis.port}/0`, '--redis-timeout', '20'], 60_000),
      runQmoe([...TINY_SWEEP_ARGS, '--out', out('bad'), '--queue', `redis://:${PASSWORD}@127.0.0.1:99999`], 60_000),
      runQmoe(['worker', '--queue', `redis://127.0.0.1:${port}`, '--redis-timeout', '1'], 60_000, { QMOE_REDIS_PASSWORD: PASSWORD }),
    ]);
    expect([closed.code, closed.signal], closed.stderr).toEqual([1, null]);
    expect(closed.stderr).toMatch(new RegExp(`^qmoe: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0: no answer within 1 s \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)\\n$`));
    expect([wrong.code, wrong.signal], wrong.stderr).toEqual([1, null]);
    expect(wrong.stderr).toMatch(/^qmoe: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: WRONGPASS/);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/^qmoe: --queue: "redis:\/\/:\*\*\*@127\.0\.0\.1:99999" is invalid; the port must be from 1 to 65535/);
    expect([lonely.code, lonely.signal], lonely.stderr).toEqual([1, null]);
    expect(lonely.stderr).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: no answer within 1 s/);
    // Nothing was trained and no directory is left behind.
    for (const name of ['closed', 'wrong', 'bad']) expect(existsSync(out(name))).toBe(false);
    const printed = [closed, wrong, bad, lonely].map((r) => r.stdout + r.stderr).join('\n');
    expect(printed).not.toContain(PASSWORD);
  });

  it('no process of this file printed the password, and no file holds it; the recorded command hides it', () => {
    for (const p of started) {
      expect(p.stdout() + p.stderr()).not.toContain(PASSWORD);
      expect(p.stdout() + p.stderr()).toContain('redis://:***@127.0.0.1:');
    }
    const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
    for (const f of files(dir)) expect(readFileSync(f).includes(PASSWORD), f).toBe(false);
    expect(readFileSync(join(dir, 'killed', 'sweep.md'), 'utf8')).toMatch(/--queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 --redis-timeout 60/);
  });
});
