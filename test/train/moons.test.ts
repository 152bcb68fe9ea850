import { describe, expect, it } from 'vitest';
import { defaultSpec, initParams } from '../../src/moe/models.js';
import type { Preset, RouterKind } from '../../src/moe/spec.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import { DEFAULT_MOONS, prepareData } from '../../src/train/dataset.js';
import { presetTraining, shuffleSeed, train } from '../../src/train/trainer.js';

/**
 * Full CPU trainings on the study's Two Moons (1000 samples, noise 0.1, 70/15/15 split), with the
 * study's model sizes and each preset's full protocol (paper: 100 epochs, lr 0.01, patience 10;
 * code: 50 epochs, lr 0.1), seed 0 as `qmoe train` uses by default.
 */
async function run(router: RouterKind, preset: Preset, seed = 0) {
  const data = prepareData(DEFAULT_MOONS, preset);
  const spec = defaultSpec(router, preset);
  const settings = presetTraining(preset);
  const engine = createCpuEngine(spec, { lr: settings.lr });
  await engine.setParams(initParams(spec, { seed }));
  const t0 = performance.now();
  const r = await train(engine, { train: data.splits.train, validation: data.splits.validation }, { ...settings, seed: shuffleSeed(seed) });
  await engine.load('test', data.splits.test);
  const test = await engine.evaluate('test');
  engine.dispose();
  return { ...r, test, seconds: (performance.now() - t0) / 1000 };
}

describe.concurrent('Two Moons on the CPU engine', () => {
  for (const preset of ['paper', 'code'] as const) {
    it(`${preset} preset: the quantum router reaches >= 90% test accuracy, above the linear router`, async () => {
      const q = await run('quantum', preset);
      const a = await run('linear', preset);
      console.log(`${preset}: quantum ${q.test.accuracy.toFixed(3)} (${q.epochsRun} epochs, ${q.seconds.toFixed(1)} s), linear ${a.test.accuracy.toFixed(3)} (${a.epochsRun} epochs, ${a.seconds.toFixed(1)} s)`);
      expect(q.test.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(a.test.accuracy).toBeLessThan(q.test.accuracy);
      expect(q.history.length).toBe(q.epochsRun);
    });
  }
});
