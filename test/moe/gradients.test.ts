import { describe, expect, it } from 'vitest';
import { CpuModel } from '../../src/moe/forward-cpu.js';
import { initParams, makeSpec, type SpecOptions } from '../../src/moe/models.js';
import { mulberry32 } from '../helpers/random.js';

/** Central finite differences of the mean loss against the analytic gradient, every parameter. */
async function checkGradient(options: SpecOptions, rows = 7, seed = 1): Promise<void> {
  const spec = makeSpec(options);
  const model = new CpuModel(spec);
  const rng = mulberry32(seed);
  const params = initParams(spec, { seed, init: 'uniform' });
  const x = Float64Array.from({ length: rows * spec.features }, () => rng() * Math.PI);
  const labels = Int32Array.from({ length: rows }, () => Math.floor(rng() * spec.classes));
  const g = await model.lossAndGradient(params, x, labels, rows);
  const h = 1e-5;
  let worst = 0;
  for (let k = 0; k < params.length; k++) {
    const p = Float64Array.from(params);
    p[k] = params[k] + h;
    const up = (await model.loss(p, x, labels, rows)).loss;
    p[k] = params[k] - h;
    const down = (await model.loss(p, x, labels, rows)).loss;
    const fd = (up - down) / (2 * h);
    const err = Math.abs(fd - g.grad[k]) / Math.max(1, Math.abs(fd));
    worst = Math.max(worst, err);
    expect(err, `param ${k} of ${params.length}: analytic ${g.grad[k]} vs finite differences ${fd}`).toBeLessThan(1e-7);
  }
  expect(worst).toBeLessThan(1e-7);
  expect(g.loss).toBeCloseTo((await model.loss(params, x, labels, rows)).loss, 14);
}

describe('gradients match central finite differences', () => {
  it('linear router', () => checkGradient({ router: 'linear', preset: 'paper' }));
  it('linear router, code preset, 3 classes, 3 features', () => checkGradient({ router: 'linear', preset: 'code', features: 3, classes: 3, experts: 3 }));
  it('mlp router, paper defaults (hidden 16,8,4)', () => checkGradient({ router: 'mlp', preset: 'paper' }));
  it('mlp router, code preset, hidden 5', () => checkGradient({ router: 'mlp', preset: 'code', hidden: [5] }));
  it('quantum router, paper preset (4 experts)', () => checkGradient({ router: 'quantum', preset: 'paper', layers: 3 }));
  it('quantum router, paper preset, 3 qubits, 2 features, 3 experts', () => checkGradient({ router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 3 }));
  it('quantum router, code preset (SEL + adapter)', () => checkGradient({ router: 'quantum', preset: 'code' }));
  it('quantum router, code preset, 3 qubits, 4 experts', () => checkGradient({ router: 'quantum', preset: 'code', qubits: 3, layers: 2, experts: 4 }));
});

describe('forward', () => {
  it('mixes the experts with the router probabilities', async () => {
    const spec = makeSpec({ router: 'linear', preset: 'code' });
    const model = new CpuModel(spec);
    const params = initParams(spec, { seed: 3 });
    const x = Float64Array.of(0.3, 1.2);
    const f = await model.forward(params, x, 1);
    // Router: V (2x2), c (2) -> softmax.
    const s = [params[0] * 0.3 + params[1] * 1.2 + params[4], params[2] * 0.3 + params[3] * 1.2 + params[5]];
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const P = e.map((v) => v / (e[0] + e[1]));
    expect(f.route[0]).toBeCloseTo(P[0], 14);
    const y = [0, 0];
    for (let k = 0; k < 2; k++) {
      const w = 6 + k * 6;
      for (let c = 0; c < 2; c++) y[c] += P[k] * (params[w + c * 2] * 0.3 + params[w + c * 2 + 1] * 1.2 + params[w + 4 + c]);
    }
    expect(f.logits[0]).toBeCloseTo(y[0], 14);
    expect(f.logits[1]).toBeCloseTo(y[1], 14);
    expect(f.probs[0] + f.probs[1]).toBeCloseTo(1, 14);
    expect(f.predictions[0]).toBe(y[1] > y[0] ? 1 : 0);
  });
});
