import { afterAll, describe, expect, it } from 'vitest';
import { createFastCpuEngine } from '../../src/cpu/engine.js';
import { createNodePool } from '../../src/cpu/pool-node.js';
import { defaultSpec, initParams } from '../../src/moe/models.js';
import type { Preset, RouterKind } from '../../src/moe/spec.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import type { TrainingEngine } from '../../src/train/engine.js';
import { DEFAULT_MOONS, prepareData } from '../../src/train/dataset.js';
import { untimed } from '../helpers/history.js';
import { presetTraining, shuffleSeed, train } from '../../src/train/trainer.js';

/**
 * The fast CPU engine trains like the float64 engine: the same protocol on a smaller Two Moons
 * (300 samples) gives the same test accuracy and nearly the same losses (float32 circuits).
 */
const data = prepareData({ ...DEFAULT_MOONS, samples: 300 }, 'paper');
const pool = createNodePool(1);
afterAll(() => pool.dispose());

async function run(engine: TrainingEngine, router: RouterKind, preset: Preset, epochs: number, batch = 32) {
  const spec = engine.spec;
  await engine.setParams(initParams(spec, { seed: 3 }));
  const r = await train(engine, { train: data.splits.train, validation: data.splits.validation }, { ...presetTraining(preset), epochs, batch, seed: shuffleSeed(3) });
  await engine.load('test', data.splits.test);
  const test = await engine.evaluate('test');
  const probs = await engine.predict(data.splits.test.x, data.splits.test.rows);
  engine.dispose();
  return { ...r, test, probs, router };
}

describe('the fast CPU training engine', () => {
  it.each([
    ['quantum', 'paper', 15],
    ['quantum', 'code', 10],
    ['mlp', 'paper', 5],
  ] as const)('%s router, %s preset: the float64 engine\'s accuracy and losses', async (router, preset, epochs) => {
    const spec = defaultSpec(router, preset);
    const lr = presetTraining(preset).lr;
    const want = await run(createCpuEngine(spec, { lr }), router, preset, epochs);
    const got = await run(createFastCpuEngine(spec, { lr }), router, preset, epochs);
    expect(got.test.accuracy).toBe(want.test.accuracy);
    expect(got.bestEpoch).toBe(want.bestEpoch);
    expect(Math.abs(got.test.loss - want.test.loss)).toBeLessThan(1e-4);
    for (let e = 0; e < want.history.length; e++) expect(Math.abs(got.history[e].valLoss - want.history[e].valLoss)).toBeLessThan(1e-4);
    // lr 0.1 (code preset) amplifies float32 rounding in the parameters; the losses above still agree.
    if (lr < 0.1) expect(Math.max(...got.params.map((p, i) => Math.abs(p - want.params[i])))).toBeLessThan(1e-3);
  });

  it('with worker threads, training gives the same bits as on one thread', async () => {
    const spec = defaultSpec('quantum', 'paper');
    const options = { lr: 0.01, chunkRows: 8, parallelWork: 0 };
    const one = await run(createFastCpuEngine(spec, options), 'quantum', 'paper', 2, 64);
    const two = await run(createFastCpuEngine(spec, { ...options, pool }), 'quantum', 'paper', 2, 64);
    expect(two.params).toEqual(one.params);
    expect(untimed(two.history)).toEqual(untimed(one.history));
    expect(two.probs).toEqual(one.probs);
  });
});
