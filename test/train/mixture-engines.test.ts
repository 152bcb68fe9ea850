import { afterAll, describe, expect, it } from 'vitest';
import { createFastCpuEngine } from '../../src/cpu/engine.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { initParams, makeSpec, type SpecOptions } from '../../src/moe/models.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import type { TrainingData, TrainingEngine } from '../../src/train/engine.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';

/**
 * The mixture options beyond the study (quantum experts, top-k, measurement-shot routing,
 * balance) on every engine that runs them, against the float64 CPU engine: the fast CPU engine
 * (float64 and float32 circuits) and the CPU engine with its circuits (router and every quantum
 * expert, one batch) on the WebGPU backend. Same data, parameters, batches and routing seed; five
 * Adam steps.
 */
export const MIXTURE_MODELS: [string, SpecOptions][] = [
  ['linear router, quantum experts', { router: 'linear', experts: 3, expertsKind: 'quantum' }],
  ['quantum paper router, quantum experts with re-uploading, top-2', { router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 4, expertsKind: 'quantum', expertQubits: 3, expertReupload: true, topK: 2 }],
  ['quantum code router, 4 route shots, balance', { router: 'quantum', preset: 'code', layers: 2, experts: 2, routeShots: 4, balance: 0.5 }],
  ['MLP router, top-1, balance', { router: 'mlp', experts: 3, hidden: [5], topK: 1, balance: 1 }],
  ['quantum paper router, quantum experts, 2 route shots', { router: 'quantum', preset: 'paper', layers: 2, expertsKind: 'quantum', routeShots: 2 }],
];

function data(rng: () => number, rows: number): TrainingData {
  const x = Float64Array.from({ length: rows * 2 }, () => rng() * Math.PI);
  const y = Int32Array.from({ length: rows }, () => Math.floor(rng() * 2));
  return { x, y, rows, features: 2, classes: 2 };
}

const gpu: GpuContext | null = skipGpu ? null : await testGpu();
afterAll(() => gpu?.destroy());

interface Engine {
  name: string;
  gpu: boolean;
  make(spec: ReturnType<typeof makeSpec>): TrainingEngine;
  tol: number;
}

const ENGINES: Engine[] = [
  { name: 'fast cpu float64', gpu: false, make: (spec) => createFastCpuEngine(spec, { lr: 0.05, precision: 'f64', routeSeed: 5 }), tol: 1e-9 },
  { name: 'fast cpu float32', gpu: false, make: (spec) => createFastCpuEngine(spec, { lr: 0.05, precision: 'f32', routeSeed: 5 }), tol: 2e-4 },
  { name: 'cpu engine, circuits on webgpu', gpu: true, make: (spec) => createCpuEngine(spec, { lr: 0.05, routeSeed: 5, circuitBackend: new WebGpuBackend(gpu!), ownCircuitBackend: true }), tol: 2e-4 },
];

async function run(engine: TrainingEngine, spec: ReturnType<typeof makeSpec>) {
  const rng = mulberry32(7);
  const train = data(rng, 29);
  const validation = data(rng, 11);
  const start = initParams(spec, { seed: 3 });
  try {
    await engine.load('train', train);
    await engine.load('validation', validation);
    await engine.setParams(start);
    const before = await engine.evaluate('validation');
    for (let s = 0; s < 5; s++) engine.step(Int32Array.from({ length: 7 }, (_, i) => (s * 7 + i * 3) % 29));
    const epoch = await engine.epochStats();
    return { start, before, epoch, params: await engine.getParams() };
  } finally {
    engine.dispose();
  }
}

describe.each(ENGINES)('mixture options on the $name', (e) => {
  it.skipIf(e.gpu && !gpu).each(MIXTURE_MODELS)('%s: same losses and parameters as the float64 engine over 5 steps', async (_, options) => {
    const spec = makeSpec({ features: 2, classes: 2, ...options });
    const cpu = await run(createCpuEngine(spec, { lr: 0.05, routeSeed: 5 }), spec);
    const got = await run(e.make(spec), spec);
    expect(Math.abs(got.before.loss - cpu.before.loss)).toBeLessThan(e.tol);
    expect(Math.abs(got.epoch.loss - cpu.epoch.loss)).toBeLessThan(e.tol);
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < cpu.params.length; i++) {
      if (Math.abs(cpu.params[i] - cpu.start[i]) < 1e-6) continue;
      moved++;
      worst = Math.max(worst, Math.abs(got.params[i] - cpu.params[i]));
    }
    expect(moved).toBeGreaterThan(0.5 * cpu.params.length);
    expect(worst).toBeLessThan(e.tol * 10);
  });
});

// The WebGPU training engine runs top-k, route shots and balance (test/train/gpu-mixture.test.ts and
// the engine conformance suite) and refuses quantum experts.
