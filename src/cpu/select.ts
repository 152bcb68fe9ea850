import type { GpuContext } from '../gpu/context.js';
import { isSoftwareAdapter } from '../gpu/software-adapter.js';
import type { Backend } from '../sim/backend.js';
import { CpuBackend } from '../sim/backend-cpu.js';
import { FastCpuBackend } from './backend.js';
import type { Precision } from './layout.js';
import { createPool } from './threads.js';

/**
 * What `--backend` means on the CPU, for every command:
 *  - cpu: the fast CPU engine on every core (float32 for training; simulate, grad and kernel,
 *    whose printed digits are checked, in float64);
 *  - cpu64: the float64 reference (CpuBackend and the float64 training engine), one thread;
 *  - auto: a hardware GPU when there is one, else the fast CPU engine (SwiftShader, a WebGPU
 *    adapter that runs on the CPU, is slower than it).
 */
export type BackendChoice = 'cpu' | 'cpu64' | 'webgpu' | 'auto';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['cpu', 'cpu64', 'webgpu', 'auto'];

/** One line for the human output of a command: which CPU engine ran. */
export function describeCpu(backend: Backend): string {
  if (backend instanceof FastCpuBackend) return `fast CPU engine, ${backend.precision === 'f32' ? 'float32' : 'float64'}, ${backend.threads} thread${backend.threads > 1 ? 's' : ''}`;
  return 'float64 reference';
}

/**
 * The CPU backend of a choice: the float64 reference for cpu64, else the fast engine in
 * `precision`, with worker threads when `threads` is not 1 (default: every core).
 */
export async function cpuBackendFor(choice: BackendChoice, precision: Precision, threads?: number): Promise<Backend> {
  if (choice === 'cpu64') return new CpuBackend();
  const pool = threads === 1 ? null : await createPool(threads);
  return new FastCpuBackend({ precision, pool, ownPool: true });
}

/** For `auto`: a software adapter (SwiftShader, llvmpipe, a browser's fallback adapter) counts as no GPU (it is destroyed and null comes back). */
export function hardwareOnly(choice: BackendChoice, gpu: GpuContext | null): GpuContext | null {
  if (gpu && choice === 'auto' && isSoftwareAdapter(gpu)) {
    gpu.destroy();
    return null;
  }
  return gpu;
}
