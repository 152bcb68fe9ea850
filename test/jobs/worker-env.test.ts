import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CPU_THREADS_ENV, nodeThreads } from '../../src/cpu/pool-node.js';
import { QmoeInputError } from '../../src/errors.js';
import { workerEnv } from '../../src/jobs/pool.js';

/** Local job workers share the cores: each process's fast CPU engine gets cores / workers threads. */
describe('threads of local worker processes', () => {
  const cores = availableParallelism();

  it('gives each of N workers floor(cores / N) threads (at least 1), and keeps a value the user set', () => {
    expect(workerEnv(1, {})[CPU_THREADS_ENV]).toBe(String(cores));
    expect(workerEnv(2, {})[CPU_THREADS_ENV]).toBe(String(Math.max(1, Math.floor(cores / 2))));
    expect(workerEnv(4 * cores, {})[CPU_THREADS_ENV]).toBe('1');
    expect(workerEnv(2, { [CPU_THREADS_ENV]: '3', OTHER: 'x' })).toEqual({ [CPU_THREADS_ENV]: '3', OTHER: 'x' });
    expect(workerEnv(2, { OTHER: 'x' }).OTHER).toBe('x');
  });

  it('nodeThreads reads QMOE_CPU_THREADS, else every core, and names a bad value', () => {
    expect(nodeThreads({})).toBe(cores);
    expect(nodeThreads({ [CPU_THREADS_ENV]: '1' })).toBe(1);
    expect(nodeThreads({ [CPU_THREADS_ENV]: '6' })).toBe(6);
    for (const bad of ['0', '-2', '1.5', 'many', '2000']) {
      expect(() => nodeThreads({ [CPU_THREADS_ENV]: bad })).toThrow(QmoeInputError);
      expect(() => nodeThreads({ [CPU_THREADS_ENV]: bad })).toThrow(/QMOE_CPU_THREADS.*integer from 1 to 1024/);
    }
  });
});
