import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** True when something on 127.0.0.1:port answers a RESP PING (PONG, or NOAUTH with a password). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (b) => done(/^[+-]/.test(b.toString('latin1'))));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
  });
}

export interface RedisServer {
  port: number;
  /** The working directory (its data with persistence; removed by stop). */
  dir: string;
  /** redis://[:password@]127.0.0.1:port/0 */
  url: string;
  /** Stops the server (SIGTERM: it writes its append-only file) and keeps its directory. */
  halt(): Promise<void>;
  /** Starts it again on the same port and directory (the queue comes back with persistence). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Debian's redis-server on 127.0.0.1, a free port and a fresh temporary directory: without
 * persistence (--save '' --appendonly no), or with an append-only file fsynced at every write
 * (`persist`, so that a restart keeps the queue). stop() ends it and removes the directory.
 */
export async function startRedis(o: { password?: string; persist?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'qmoe-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--logfile', join(dir, 'redis.log')];
  args.push(...(o.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  if (o.password) args.push('--requirepass', o.password);
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (code ${child.exitCode}); see ${dir}/redis.log`);
      if (await answers(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${port} did not answer within 10 s`);
  };
  const halt = async () => {
    if (!child) return;
    child.kill('SIGTERM');
    await exited(child, 10_000);
    child = undefined;
  };
  // Should the test process exit without running its afterAll, no server or directory stays.
  const atExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', atExit);
  try {
    await start();
  } catch (e) {
    await halt();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    dir,
    url: `redis://${o.password ? `:${o.password}@` : ''}127.0.0.1:${port}/0`,
    halt,
    start,
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
      process.off('exit', atExit);
    },
  };
}
