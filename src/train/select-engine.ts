import { existsSync } from 'node:fs';
import { QmoeGpuError, QmoeInputError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { ModelSpec } from '../moe/spec.js';
import { createCpuEngine } from './cpu-engine.js';
import type { TrainingEngine } from './engine.js';

export const ENGINE_CHOICES = ['cpu', 'webgpu', 'auto'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

type GpuEngineFactory = (gpu: GpuContext, spec: ModelSpec, options: { lr: number }) => Promise<TrainingEngine>;

/** The WebGPU engine's factory when src/train/gpu-engine.ts exists and exports createWebGpuEngine. */
async function gpuEngineFactory(): Promise<GpuEngineFactory | undefined> {
  const here = new URL('./gpu-engine.', import.meta.url);
  if (!existsSync(new URL(here.href + 'ts')) && !existsSync(new URL(here.href + 'js'))) return undefined;
  const specifier = './gpu-engine.js'; // a variable, so the type check does not require the file
  let mod: { createWebGpuEngine?: GpuEngineFactory };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (e) {
    throw new QmoeGpuError(`the WebGPU training engine failed to load (${(e as Error).message})`);
  }
  return typeof mod.createWebGpuEngine === 'function' ? mod.createWebGpuEngine : undefined;
}

/**
 * The engine for --backend: cpu (float64), webgpu (an error when the WebGPU engine or an adapter
 * is missing) or auto (webgpu on a hardware adapter when the engine starts, else cpu: SwiftShader
 * is skipped, it is slower than the CPU engine here). `note` says why auto fell back.
 */
export async function createEngine(spec: ModelSpec, choice: EngineChoice, options: { lr: number }): Promise<{ engine: TrainingEngine; note?: string }> {
  if (!ENGINE_CHOICES.includes(choice)) throw new QmoeInputError('--backend', choice, `must be one of ${ENGINE_CHOICES.join(', ')}`);
  if (choice !== 'cpu') {
    let factory: GpuEngineFactory | undefined;
    try {
      factory = await gpuEngineFactory();
    } catch (e) {
      if (choice === 'webgpu') throw e;
      return { engine: createCpuEngine(spec, options), note: `${(e as Error).message}: training on the CPU` };
    }
    if (!factory) {
      if (choice === 'webgpu') throw new QmoeGpuError('--backend webgpu: this build has no WebGPU training engine yet (src/train/gpu-engine.ts); use --backend cpu or auto');
      return { engine: createCpuEngine(spec, options), note: 'no WebGPU training engine in this build: training on the CPU' };
    }
    const { acquireGpu } = await import('../gpu/acquire.js');
    const acquisition = await acquireGpu();
    const gpu = acquisition.gpu;
    if (!gpu) {
      if (choice === 'webgpu') {
        const steps = acquisition.steps.map((st) => `  ${st.step}: ${st.ok ? 'ok' : 'no'}, ${st.detail}`).join('\n');
        throw new QmoeGpuError(`--backend webgpu: no WebGPU adapter was found (try --backend cpu or auto); steps:\n${steps}`);
      }
      return { engine: createCpuEngine(spec, options), note: 'no WebGPU adapter: training on the CPU' };
    }
    if (choice === 'auto' && gpu.source === 'swiftshader') {
      // A software rasterizer on the CPU is slower than the float64 CPU engine for these models.
      gpu.destroy();
      return { engine: createCpuEngine(spec, options), note: 'only a software WebGPU adapter (SwiftShader): training on the CPU engine (use --backend webgpu to force it)' };
    }
    try {
      return { engine: owning(await factory(gpu, spec, options), gpu) };
    } catch (e) {
      gpu.destroy();
      if (choice === 'webgpu' || e instanceof QmoeInputError) throw e;
      return { engine: createCpuEngine(spec, options), note: `WebGPU engine unavailable (${(e as Error).message}): training on the CPU` };
    }
  }
  return { engine: createCpuEngine(spec, options) };
}

/** The engine with a dispose() that also destroys the GPU device acquired for it. */
function owning(engine: TrainingEngine, gpu: GpuContext): TrainingEngine {
  return {
    kind: engine.kind,
    spec: engine.spec,
    load: (split, data) => engine.load(split, data),
    setParams: (p) => engine.setParams(p),
    getParams: () => engine.getParams(),
    keepBest: () => engine.keepBest(),
    restoreBest: () => engine.restoreBest(),
    step: (rows) => engine.step(rows),
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
