import { acquireGpu } from '../../src/gpu/acquire.js';
import type { Acquisition, GpuContext } from '../../src/gpu/context.js';
// Backends and engines through the library's entry point (their files may move).
import { CpuBackend, WebGpuBackend, createFastCpuEngine, createPool, createWebGpuEngine, type Backend, type ModelSpec, type TrainingEngine } from '../../src/index.js';
import { createNoisyCpuEngine, noisyCircuitBackends, type GateNoiseRecord } from '../../src/noise/training.js';
import { quantumParts } from '../../src/moe/mixture-spec.js';
import { CpuModel } from '../../src/moe/forward-cpu.js';
import { isSoftwareAdapter } from '../../src/train/select-engine.js';
import type { EngineChoice, EngineInfo, GpuReport } from './protocol.js';

/** Trajectories per row of the noise-aware gradient in the browser (the CLI's default is 32: slower). */
export const BROWSER_TRAJECTORIES = 8;

let acquisition: Promise<Acquisition> | undefined;

/** The one WebGPU device of this JS context (the playground worker, or the noise page): navigator.gpu, acquired on first use and kept. */
export function contextGpu(): Promise<Acquisition> {
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

export async function gpuReport(): Promise<GpuReport> {
  const a = await contextGpu();
  if (!a.gpu) return { available: false, label: '', software: false, why: whyNoGpu(a) };
  return { available: true, label: gpuLabel(a.gpu), software: isSoftwareAdapter(a.gpu), why: '' };
}

/**
 * The CPU engine of the browser app: the fast CPU engine (float32 states, WebAssembly SIMD kernels)
 * over Web Workers on every core the browser reports. The noise-aware engine keeps the float64
 * reference (its trajectories run on the reference backend or the GPU).
 */
export async function browserCpuEngine(spec: ModelSpec, lr: number): Promise<TrainingEngine> {
  const pool = await createPool();
  return createFastCpuEngine(spec, { lr, pool, ownPool: true });
}

export interface MadeEngine {
  engine: TrainingEngine;
  info: EngineInfo;
  /** The device when the engine (or its noisy circuit) runs on the GPU. */
  gpu: GpuContext | null;
  /** The router's noise during training (null: noiseless). */
  gateNoise: GateNoiseRecord | null;
  /** The circuit backend of the maps and probes: the engine's own circuit (noisy when training is). */
  circuitBackend: Backend;
  /** The quantum experts' circuit backend of the maps and probes, when it is not circuitBackend (under noise). */
  expertBackend?: Backend;
}

/** The float64 model the maps and probes draw with: the engine's circuits, noisy as it trains. */
export function mapModel(spec: ModelSpec, made: MadeEngine): CpuModel {
  return new CpuModel(spec, made.circuitBackend, false, { expertBackend: made.expertBackend });
}

/** Frees the maps' circuit backends of `made`. */
export function disposeMapBackends(made: MadeEngine): void {
  made.circuitBackend.dispose();
  made.expertBackend?.dispose();
}

/**
 * The engine for a choice, as `qmoe train --backend` picks it (src/train/select-engine.ts):
 * `auto` takes the WebGPU engine on a hardware adapter and the CPU engine on a software one
 * (SwiftShader) or none; `webgpu` takes the GPU whenever there is one. A noise rate p > 0 trains
 * the quantum circuits (router, experts) noise-aware: the CPU engine with the noisy circuits (on
 * the GPU for `webgpu`, or `auto` on a hardware adapter). `info.note` says why a choice fell back.
 */
export async function makeEngine(spec: ModelSpec, choice: EngineChoice, lr: number, noise: { p: number; seed: number; trajectories?: number }): Promise<MadeEngine> {
  const a = choice === 'cpu' ? null : await contextGpu();
  let gpu = a?.gpu ?? null;
  let note: string | undefined;
  if (gpu?.lostReason) {
    note = `the GPU device was lost (${gpu.lostReason}): the CPU engine is used; reload the page to retry the GPU`;
    gpu = null;
  } else if (choice === 'auto' && gpu && isSoftwareAdapter(gpu)) {
    note = `auto: the only WebGPU adapter is a software one (${gpuLabel(gpu)}), slower here than the CPU engine; choose "WebGPU" to use it anyway`;
    gpu = null;
  } else if (choice !== 'cpu' && !gpu && a) {
    note = `no WebGPU (${whyNoGpu(a)}): the CPU engine is used`;
  }
  if (noise.p > 0 && quantumParts(spec).length > 0) {
    const trajectories = noise.trajectories ?? BROWSER_TRAJECTORIES;
    const made = createNoisyCpuEngine(spec, { lr, p: noise.p, trajectories, seed: noise.seed, gpu });
    const maps = noisyCircuitBackends(spec, { p: noise.p, trajectories, seed: noise.seed, gpu });
    const label = `CPU engine with the noisy ${quantumParts(spec).length > 1 ? 'circuits' : 'circuit'} on the ${gpu ? 'GPU' : 'CPU'} (p = ${noise.p}, ${trajectories} trajectories per gradient)`;
    return { engine: made.engine, info: { kind: made.engine.kind, label, note }, gpu, gateNoise: made.noise, circuitBackend: (maps.router ?? maps.experts)!, expertBackend: maps.experts ?? undefined };
  }
  if (gpu) {
    try {
      const engine = await createWebGpuEngine(gpu, spec, { lr });
      return { engine, info: { kind: 'webgpu', label: `WebGPU engine (${gpuLabel(gpu)})`, note }, gpu, gateNoise: null, circuitBackend: new WebGpuBackend(gpu) };
    } catch (e) {
      note = `the WebGPU engine cannot run this model (${(e as Error).message}): the CPU engine is used`;
    }
  }
  const engine = await browserCpuEngine(spec, lr);
  return { engine, info: { kind: 'cpu', label: engine.label ?? 'fast CPU engine', note }, gpu: null, gateNoise: null, circuitBackend: new CpuBackend() };
}

/**
 * Waits until the engine has done the work queued so far, keeping up to `window` GPU steps in
 * flight (so progress is real and a stop takes effect within a batch or two, without draining
 * the GPU after every step).
 */
export class StepTracker {
  private readonly pending: Promise<unknown>[] = [];
  constructor(
    private readonly engine: TrainingEngine,
    private readonly gpu: GpuContext | null,
    private readonly window = 2,
  ) {}

  async afterStep(): Promise<void> {
    if (this.engine.kind === 'webgpu' && this.gpu) {
      this.pending.push(this.gpu.device.queue.onSubmittedWorkDone());
      while (this.pending.length > this.window) await this.pending.shift();
      return;
    }
    await this.engine.getParams(); // the CPU engines run their queued steps before answering
  }

  async drain(): Promise<void> {
    while (this.pending.length) await this.pending.shift();
  }
}
