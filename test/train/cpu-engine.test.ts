import { describe, expect, it } from 'vitest';
import { CpuModel } from '../../src/moe/forward-cpu.js';
import { defaultSpec, initParams } from '../../src/moe/models.js';
import { Adam } from '../../src/train/adam.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import { DEFAULT_MOONS, prepareData } from '../../src/train/dataset.js';

describe('CPU engine', () => {
  const data = prepareData({ ...DEFAULT_MOONS, samples: 200 }, 'paper');
  const spec = defaultSpec('quantum', 'paper');
  const p0 = initParams(spec, { seed: 3 });

  it('steps Adam on the batch mean loss; epochStats reports the losses before each update', async () => {
    const engine = createCpuEngine(spec, { lr: 0.05 });
    await engine.load('train', data.splits.train);
    await engine.setParams(p0);
    const b1 = Int32Array.of(0, 1, 2, 3, 4);
    const b2 = Int32Array.of(5, 6, 7);
    engine.step(b1);
    engine.step(b2);
    const stats = await engine.epochStats();
    // The same by hand.
    const model = new CpuModel(spec);
    const adam = new Adam(p0.length, { lr: 0.05 });
    const p = Float64Array.from(p0);
    const tr = data.splits.train;
    const rows = (b: Int32Array) => ({ x: Float64Array.from(Array.from(b).flatMap((r) => [tr.x[2 * r], tr.x[2 * r + 1]])), y: Int32Array.from(b, (r) => tr.y[r]) });
    const r1 = rows(b1);
    const g1 = await model.lossAndGradient(p, r1.x, r1.y, 5);
    adam.step(p, g1.grad);
    const r2 = rows(b2);
    const g2 = await model.lossAndGradient(p, r2.x, r2.y, 3);
    adam.step(p, g2.grad);
    expect(stats.loss).toBeCloseTo((g1.loss * 5 + g2.loss * 3) / 8, 12);
    expect(stats.accuracy).toBeCloseTo((g1.correct + g2.correct) / 8, 12);
    const got = await engine.getParams();
    for (let i = 0; i < p.length; i++) expect(got[i]).toBeCloseTo(p[i], 12);
    expect(await engine.epochStats()).toEqual({ loss: NaN, accuracy: NaN });
    // setParams resets Adam: the same two steps again give the same parameters.
    await engine.setParams(p0);
    engine.step(b1);
    engine.step(b2);
    await engine.epochStats();
    expect(await engine.getParams()).toEqual(got);
    engine.dispose();
  });

  it('evaluate and predict agree with the model', async () => {
    const engine = createCpuEngine(spec);
    await engine.setParams(p0);
    await engine.load('test', data.splits.test);
    const t = data.splits.test;
    const ev = await engine.evaluate('test');
    const ref = await new CpuModel(spec).loss(p0, t.x, t.y, t.rows);
    expect(ev.loss).toBeCloseTo(ref.loss, 12);
    expect(ev.accuracy).toBeCloseTo(ref.correct / t.rows, 12);
    const probs = await engine.predict(t.x, t.rows);
    expect(Array.from(probs)).toEqual(Array.from(ref.probs));
    await expect(engine.evaluate('validation')).rejects.toThrow(/load/);
    expect(() => engine.step(Int32Array.of(0))).toThrow(/load/);
    engine.dispose();
  });
});
