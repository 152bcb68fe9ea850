import { afterAll, describe, expect, it } from 'vitest';
import { createFastCpuEngine } from '../../src/cpu/engine.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { makeSpec, type SpecOptions } from '../../src/moe/models.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import type { TrainingEngine } from '../../src/train/engine.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { movedParams, trainSteps } from '../helpers/engine-conformance.js';

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

const run = (engine: TrainingEngine, spec: ReturnType<typeof makeSpec>) =>
  trainSteps(engine, spec, { trainRows: 29, validationRows: 11, batch: 7, steps: 5, stride: 3, dataSeed: 7, paramSeed: 3 });

describe.each(ENGINES)('mixture options on the $name', (e) => {
  it.skipIf(e.gpu && !gpu).each(MIXTURE_MODELS)('%s: same losses and parameters as the float64 engine over 5 steps', async (_, options) => {
    const spec = makeSpec({ features: 2, classes: 2, ...options });
    const cpu = await run(createCpuEngine(spec, { lr: 0.05, routeSeed: 5 }), spec);
    const got = await run(e.make(spec), spec);
    expect(Math.abs(got.before.loss - cpu.before.loss)).toBeLessThan(e.tol);
    expect(Math.abs(got.epoch.loss - cpu.epoch.loss)).toBeLessThan(e.tol);
    const { worst, moved } = movedParams(cpu, got.params);
    expect(moved).toBeGreaterThan(0.5 * cpu.params.length);
    expect(worst).toBeLessThan(e.tol * 10);
  });
});

// The WebGPU training engine runs top-k, route shots and balance (test/train/gpu-mixture.test.ts and
// the engine conformance suite) and refuses quantum experts.
