import { Redis, type RedisOptions } from 'ioredis';
import { QmoeJobsError } from '../errors.js';
import { redactUrls, type RedisTarget } from './redis-url.js';

/** Errors that waiting does not mend: a wrong password or user, a database that does not exist, a TLS certificate refused. */
const DEFINITIVE = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username|DB index is out of range|invalid DB index|certificate|CERT_|SSL routines|wrong version number/i;

/** An error message of the Redis client with the password hidden, whatever the client put in it. */
export function scrub(message: string, t: RedisTarget): string {
  let m = redactUrls(message);
  if (t.password) m = m.split(t.password).join('***');
  return m;
}

/** ioredis options for a target: reconnects for ever (at most every 2 s), no per-command retry limit (BullMQ needs it). */
export function redisOptions(t: RedisTarget, timeoutSeconds: number): RedisOptions {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    username: t.username,
    password: t.password,
    tls: t.tls ? { servername: t.host } : undefined,
    connectTimeout: Math.max(1000, Math.min(10_000, timeoutSeconds * 1000)),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  };
}

/** A client for BullMQ (a Queue, QueueEvents or Worker owns it); its errors are the monitor's to report. */
export function bullClient(t: RedisTarget, timeoutSeconds: number): Redis {
  const client = new Redis(redisOptions(t, timeoutSeconds));
  client.on('error', () => {});
  return client;
}

/**
 * Watches that Redis answers: a PING every second on a connection of its own. `open` resolves
 * once Redis answers, or fails with a QmoeJobsError (exit 1) after `timeoutSeconds`, or at once
 * for an error that waiting does not mend (wrong password). `watch` calls `lost` when Redis has
 * not answered for `timeoutSeconds` since the last answer (a restart shorter than that is
 * survived: the clients reconnect). Messages show the URL without its password.
 */
export class RedisMonitor {
  private lastOk = Date.now();
  private lastError = 'no answer yet';
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly client: Redis,
    private readonly target: RedisTarget,
    private readonly timeoutSeconds: number,
  ) {
    client.on('error', (e: Error) => {
      this.lastError = scrub(e.message, target);
    });
  }

  static async open(target: RedisTarget, timeoutSeconds: number): Promise<RedisMonitor> {
    const client = new Redis({ ...redisOptions(target, timeoutSeconds), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const m = new RedisMonitor(client, target, timeoutSeconds);
    client.connect().catch(() => {});
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      if (await m.ping(Math.max(200, Math.min(2000, deadline - Date.now())))) return m;
      if (DEFINITIVE.test(m.lastError) || Date.now() >= deadline) {
        m.close();
        const why = DEFINITIVE.test(m.lastError) ? m.lastError : `no answer within ${timeoutSeconds} s (${m.lastError})`;
        throw new QmoeJobsError(`cannot reach Redis at ${target.display}: ${why}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Calls `lost` (once) when Redis has not answered for the timeout. */
  watch(lost: (message: string) => void): void {
    this.lastOk = Date.now();
    let busy = false;
    this.timer = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        if (await this.ping(2000)) return;
        if (Date.now() - this.lastOk > this.timeoutSeconds * 1000) {
          this.close();
          lost(`Redis at ${this.target.display} has not answered for ${this.timeoutSeconds} s (${this.lastError})`);
        }
      } finally {
        busy = false;
      }
    }, 1000);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.client.disconnect();
  }

  private async ping(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.client.ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer to PING within ${ms} ms`)), ms)))]);
      this.lastOk = Date.now();
      return true;
    } catch (e) {
      const message = scrub((e as Error).message, this.target);
      // "Stream isn't writeable" only says the connection is not ready; the client's own error says why.
      if (!/writeable|Connection is closed/.test(message)) this.lastError = message;
      else if (this.lastError === 'no answer yet' && this.client.status === 'connect') this.lastError = 'connected, but no answer as from a Redis server';
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
