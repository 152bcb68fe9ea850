import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { defaultSpec, initParams } from '../../src/moe/models.js';
import type { Preset, RouterKind } from '../../src/moe/spec.js';
import { DEFAULT_MOONS, prepareData } from '../../src/train/dataset.js';
import { createWebGpuEngine } from '../../src/train/gpu-engine.js';
import { presetTraining, shuffleSeed, train } from '../../src/train/trainer.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';

/**
 * Full trainings on the WebGPU engine (SwiftShader in CI): the study's Two Moons (1000 samples,
 * noise 0.1, 70/15/15 split), the study's model sizes and each preset's protocol, every step on
 * the GPU. The CPU engine's twin is test/train/moons.test.ts.
 */
describe.skipIf(skipGpu)('Two Moons on the WebGPU engine', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  async function run(router: RouterKind, preset: Preset, seed = 0) {
    const data = prepareData(DEFAULT_MOONS, preset);
    const spec = defaultSpec(router, preset);
    const settings = presetTraining(preset);
    const engine = await createWebGpuEngine(gpu, spec, { lr: settings.lr, capacity: 512 });
    await engine.setParams(initParams(spec, { seed }));
    const t0 = performance.now();
    const r = await train(engine, { train: data.splits.train, validation: data.splits.validation }, { ...settings, seed: shuffleSeed(seed) });
    await engine.load('test', data.splits.test);
    const test = await engine.evaluate('test');
    engine.dispose();
    return { ...r, test, seconds: (performance.now() - t0) / 1000 };
  }

  for (const preset of ['paper', 'code'] as const) {
    it(`${preset} preset: the quantum router reaches >= 90% test accuracy, above the linear router`, async () => {
      const q = await run('quantum', preset);
      const a = await run('linear', preset);
      console.log(`webgpu ${preset}: quantum ${q.test.accuracy.toFixed(3)} (${q.epochsRun} epochs, ${q.seconds.toFixed(1)} s), linear ${a.test.accuracy.toFixed(3)} (${a.epochsRun} epochs, ${a.seconds.toFixed(1)} s)`);
      expect(q.test.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(a.test.accuracy).toBeLessThan(q.test.accuracy);
    });
  }
});
