import { availableParallelism } from 'node:os';
import { acquireForBackend } from '../gpu/acquire.js';
import { isSoftwareAdapter } from '../train/select-engine.js';
import type { ExecutionChoice } from './execution-choice.js';
import { inProcessExecutor, type Executor } from './executor.js';
import { poolExecutor } from './pool.js';
import type { RunSpec } from './spec.js';

/**
 * How many local workers `--workers auto` starts for these runs: one per core when they train on
 * the CPU engine (--backend cpu, the noise sweep, or auto without a hardware adapter), one per GPU
 * adapter otherwise. The adapter chain opens one adapter (src/gpu/acquire.ts), so that is one
 * worker on a GPU machine; `--workers N` runs N processes on it, each with its own device.
 */
export async function autoWorkers(specs: RunSpec[]): Promise<{ count: number; why: string }> {
  const cores = availableParallelism();
  const perCore = { count: cores, why: `one per core: the CPU engine` };
  const engines = new Set(specs.map((s) => (s.study === 'noise-sweep' ? 'cpu' : s.backend)));
  if (engines.has('webgpu')) return { count: 1, why: 'one per GPU adapter' };
  if (!engines.has('auto')) return perCore;
  const gpu = await acquireForBackend('auto');
  if (!gpu) return perCore;
  const hardware = !isSoftwareAdapter(gpu);
  gpu.destroy();
  return hardware ? { count: 1, why: 'one per GPU adapter' } : perCore;
}

/** The executor of an execution choice for `todo` (never more worker processes than runs; one is this process). */
export async function makeExecutor(choice: ExecutionChoice | undefined, todo: RunSpec[]): Promise<Executor> {
  if (!choice || choice.kind === 'in-process') return inProcessExecutor();
  if (choice.kind === 'workers') {
    const auto = choice.workers === 'auto' ? await autoWorkers(todo) : undefined;
    const count = Math.min(todo.length, auto?.count ?? (choice.workers as number));
    if (count <= 1) return inProcessExecutor();
    const pool = poolExecutor(count);
    return auto ? { ...pool, description: `${pool.description} (${auto.why})` } : pool;
  }
  const { queueExecutor } = await import('./queue.js');
  return queueExecutor(choice.target, choice.timeoutSeconds);
}
