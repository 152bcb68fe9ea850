import { QmoeInputError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import { isSoftwareAdapter } from '../gpu/software-adapter.js';
import { cpuOnlyOption } from '../moe/mixture-spec.js';
import type { ModelSpec } from '../moe/spec.js';
import { createCpuEngine } from './cpu-engine.js';
import type { TrainingEngine } from './engine.js';

export { isSoftwareAdapter };

export const ENGINE_CHOICES = ['cpu', 'cpu64', 'webgpu', 'auto'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/** The fast CPU engine (src/cpu/engine.ts: float32 circuits) on every core. */
async function fastEngine(spec: ModelSpec, options: EngineOptions): Promise<TrainingEngine> {
  const { createFastCpuEngine } = await import('../cpu/engine.js');
  const { createPool } = await import('../cpu/threads.js');
  return createFastCpuEngine(spec, { ...options, pool: await createPool(), ownPool: true });
}

/** What every engine takes: Adam's learning rate and the seed of --route-shots' draws. */
export interface EngineOptions {
  lr: number;
  routeSeed?: number;
}

/**
 * The engine for --backend: cpu (the fast CPU engine), cpu64 (the float64 reference engine),
 * webgpu (an error when the WebGPU engine or an adapter is missing) or auto (webgpu on a hardware
 * adapter when the engine starts, else the fast CPU engine: SwiftShader is skipped, it is slower
 * than the CPU here). `note` says why auto fell back.
 */
export async function createEngine(spec: ModelSpec, choice: EngineChoice, options: EngineOptions): Promise<{ engine: TrainingEngine; note?: string }> {
  if (!ENGINE_CHOICES.includes(choice)) throw new QmoeInputError('--backend', choice, `must be one of ${ENGINE_CHOICES.join(', ')}`);
  if (choice === 'cpu64') return { engine: createCpuEngine(spec, options) };
  const cpuOnly = cpuOnlyOption(spec);
  if (choice === 'auto' && cpuOnly) return { engine: await fastEngine(spec, options), note: `${cpuOnly.option} ${String(cpuOnly.value)}: the fast CPU engine (--backend webgpu runs the circuits on the GPU, the head on the CPU)` };
  if (choice !== 'cpu') {
    const { acquireForBackend } = await import('../gpu/acquire.js');
    const gpu = await acquireForBackend(choice);
    if (!gpu) {
      return { engine: await fastEngine(spec, options), note: 'no WebGPU adapter: the fast CPU engine instead' };
    }
    if (choice === 'auto' && isSoftwareAdapter(gpu)) {
      // A software rasterizer on the CPU is slower than the CPU engine for these models.
      gpu.destroy();
      return { engine: await fastEngine(spec, options), note: 'only a software WebGPU adapter (SwiftShader): the fast CPU engine instead (use --backend webgpu to force it)' };
    }
    try {
      // Quantum experts: the float64 engine with every circuit (router and experts, one batch) on
      // the WebGPU backend; the WebGPU engine's own head has linear experts only.
      if (cpuOnly) return { engine: owning(await gpuCircuitsEngine(gpu, spec, options), gpu) };
      // The GPU modules load only here, so that CPU runs (local worker processes) start without them.
      const { createWebGpuEngine } = await import('./gpu-engine.js');
      return { engine: owning(await createWebGpuEngine(gpu, spec, options), gpu) };
    } catch (e) {
      gpu.destroy();
      if (choice === 'webgpu' || e instanceof QmoeInputError) throw e;
      return { engine: await fastEngine(spec, options), note: `WebGPU engine unavailable (${(e as Error).message}): the fast CPU engine instead` };
    }
  }
  return { engine: await fastEngine(spec, options) };
}

/** The float64 CPU engine whose circuits run on a WebGPU backend of `gpu` (the engine owns the backend, not the device). */
async function gpuCircuitsEngine(gpu: GpuContext, spec: ModelSpec, options: EngineOptions): Promise<TrainingEngine> {
  const { WebGpuBackend } = await import('../sim/backend-gpu.js');
  return createCpuEngine(spec, {
    ...options,
    circuitBackend: new WebGpuBackend(gpu),
    ownCircuitBackend: true,
    kind: 'webgpu',
    label: 'WebGPU circuits (router and quantum experts), float64 head and Adam on the CPU',
  });
}

/** The engine with a dispose() that also destroys the GPU device acquired for it. */
function owning(engine: TrainingEngine, gpu: GpuContext): TrainingEngine {
  return {
    kind: engine.kind,
    label: engine.label,
    spec: engine.spec,
    load: (split, data) => engine.load(split, data),
    setParams: (p) => engine.setParams(p),
    getParams: () => engine.getParams(),
    keepBest: () => engine.keepBest(),
    restoreBest: () => engine.restoreBest(),
    step: (rows) => engine.step(rows),
    settle: engine.settle && (() => engine.settle!()),
    epochStats: () => engine.epochStats(),
    evaluate: (split) => engine.evaluate(split),
    predict: (x, rows) => engine.predict(x, rows),
    dispose: () => {
      try {
        engine.dispose();
      } finally {
        gpu.destroy();
      }
    },
  };
}
