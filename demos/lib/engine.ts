import { acquireGpu } from '../../src/gpu/acquire.js';
import type { Acquisition, GpuContext } from '../../src/gpu/context.js';
import type { ModelSpec } from '../../src/moe/spec.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import type { TrainingEngine } from '../../src/train/engine.js';
import { createWebGpuEngine } from '../../src/train/gpu-engine.js';
import { createNoisyCpuEngine } from '../../src/noise/training.js';

export type EngineChoice = 'webgpu' | 'cpu';

let acquisition: Promise<Acquisition> | undefined;

/** The page's one WebGPU device (navigator.gpu), acquired on first use and kept for the page's life. */
export function pageGpu(): Promise<Acquisition> {
  acquisition ??= acquireGpu().catch((e) => ({ gpu: null, chosen: 'cpu' as const, steps: [{ step: 'cpu' as const, ok: true, detail: `acquireGpu failed: ${(e as Error).message}` }] }));
  return acquisition;
}

/** Why there is no GPU, in a sentence (from the acquisition steps). */
export function whyNoGpu(a: Acquisition): string {
  const step = a.steps.find((s) => !s.ok);
  return step ? step.detail : 'no WebGPU adapter';
}

export function gpuLabel(gpu: GpuContext): string {
  const info = gpu.adapter.info;
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length ? [...new Set(parts)].join(' / ') : gpu.adapterName;
}

/**
 * A training engine for `spec`: the WebGPU engine on the page's device when asked for and
 * possible, else the float64 CPU engine; `note` says why it fell back.
 */
export async function makeEngine(spec: ModelSpec, choice: EngineChoice, lr: number, noise = 0): Promise<{ engine: TrainingEngine; note?: string }> {
  if (noise > 0 && spec.router === 'quantum') {
    // Noise-aware training: the CPU engine for the classical parts, the noisy circuit and its
    // trajectory-averaged adjoint gradient on the GPU when there is one.
    const gpu = choice === 'webgpu' ? (await pageGpu()).gpu : null;
    const { engine } = createNoisyCpuEngine(spec, { lr, p: noise, trajectories: 8, gpu });
    return { engine, note: `noise-aware training at p = ${noise}: the noisy circuit on the ${gpu ? 'GPU' : 'CPU'}, the rest on the CPU engine` };
  }
  if (choice === 'webgpu') {
    const a = await pageGpu();
    if (!a.gpu) return { engine: createCpuEngine(spec, { lr }), note: `WebGPU unavailable (${whyNoGpu(a)}): training on the CPU engine` };
    if (a.gpu.lostReason) return { engine: createCpuEngine(spec, { lr }), note: `the GPU device was lost (${a.gpu.lostReason}): training on the CPU engine; reload the page to retry the GPU` };
    try {
      return { engine: await createWebGpuEngine(a.gpu, spec, { lr }) };
    } catch (e) {
      return { engine: createCpuEngine(spec, { lr }), note: `the WebGPU engine cannot run this model (${(e as Error).message}): training on the CPU engine` };
    }
  }
  return { engine: createCpuEngine(spec, { lr }) };
}
