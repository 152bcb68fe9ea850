import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { balanceLoss, utilisation } from '../../src/moe/balance.js';
import { CpuModel } from '../../src/moe/forward-cpu.js';
import { initParams, makeSpec, paramLayout, validateSpec, type SpecOptions } from '../../src/moe/models.js';
import { expertCircuit } from '../../src/moe/quantum-experts.js';
import { routeGate } from '../../src/moe/routing.js';
import { mulberry32 } from '../helpers/random.js';

/** Random rows of angles and labels for a spec. */
function batch(spec: ReturnType<typeof makeSpec>, rows: number, seed: number) {
  const rng = mulberry32(seed);
  const x = Float64Array.from({ length: rows * spec.features }, () => rng() * Math.PI);
  const labels = Int32Array.from({ length: rows }, () => Math.floor(rng() * spec.classes));
  return { x, labels };
}

/**
 * Central finite differences of the trained objective (mean cross-entropy + balance loss, the
 * balance's dispatch counts held fixed as in the Switch Transformer) against the analytic gradient.
 */
async function checkGradient(options: SpecOptions, rows = 6, seed = 1, tolerance = 1e-7): Promise<void> {
  const spec = makeSpec(options);
  const model = new CpuModel(spec);
  const params = initParams(spec, { seed, init: 'uniform' });
  const { x, labels } = batch(spec, rows, seed + 10);
  const g = await model.lossAndGradient(params, x, labels, rows);
  const dispatch = g.dispatch;
  const objective = async (p: Float64Array) => {
    const r = await model.loss(p, x, labels, rows);
    return r.loss + (spec.balance ? balanceLoss(spec.balance, r.route, dispatch, rows, spec.experts) : 0);
  };
  expect(g.loss + g.balance).toBeCloseTo(await objective(params), 13);
  const h = 1e-5;
  for (let k = 0; k < params.length; k++) {
    const p = Float64Array.from(params);
    p[k] = params[k] + h;
    const up = await objective(p);
    p[k] = params[k] - h;
    const down = await objective(p);
    const fd = (up - down) / (2 * h);
    expect(Math.abs(fd - g.grad[k]) / Math.max(1, Math.abs(fd)), `param ${k} of ${params.length}: analytic ${g.grad[k]} vs finite differences ${fd}`).toBeLessThan(tolerance);
  }
}

describe('load-balancing loss (Switch Transformer form)', () => {
  it('matches a hand-computed batch, and its gradient is W E f_e / B', () => {
    // 3 rows, 2 experts: top-1 dispatch sends rows 0 and 2 to expert 0, row 1 to expert 1.
    const route = [0.7, 0.3, 0.4, 0.6, 0.9, 0.1];
    const dispatch = [1, 0, 0, 1, 1, 0];
    const u = utilisation(route, dispatch, 3, 2);
    expect(u.samples[0]).toBeCloseTo(2 / 3, 15);
    expect(u.samples[1]).toBeCloseTo(1 / 3, 15);
    expect(u.mass[0]).toBeCloseTo(2 / 3, 15); // (0.7 + 0.4 + 0.9) / 3
    expect(u.mass[1]).toBeCloseTo(1 / 3, 15);
    const d = new Float64Array(6);
    // aux = W * E * (f0 Pbar0 + f1 Pbar1) = 0.5 * 2 * (4/9 + 1/9) = 5/9.
    expect(balanceLoss(0.5, route, dispatch, 3, 2, d)).toBeCloseTo(5 / 9, 15);
    for (let r = 0; r < 3; r++) {
      expect(d[r * 2]).toBeCloseTo((0.5 * 2 * (2 / 3)) / 3, 15);
      expect(d[r * 2 + 1]).toBeCloseTo((0.5 * 2 * (1 / 3)) / 3, 15);
    }
    // Uniform routing gives W; everything on one expert gives W * E.
    expect(balanceLoss(2, [0.5, 0.5, 0.5, 0.5], [1, 0, 0, 1], 2, 2)).toBeCloseTo(2, 15);
    expect(balanceLoss(2, [1, 0, 1, 0], [1, 0, 1, 0], 2, 2)).toBeCloseTo(4, 15);
  });

  it('the model reports it and trains on it: gradients match finite differences for every router', async () => {
    await checkGradient({ router: 'linear', preset: 'paper', balance: 0.7 });
    await checkGradient({ router: 'mlp', preset: 'code', hidden: [5], experts: 3, balance: 1.3 });
    await checkGradient({ router: 'quantum', preset: 'paper', layers: 3, balance: 0.5 });
    await checkGradient({ router: 'quantum', preset: 'code', balance: 2 });
  });

  it('changes the gradient of the router only', async () => {
    const base = makeSpec({ router: 'linear', preset: 'paper' });
    const spec = makeSpec({ router: 'linear', preset: 'paper', balance: 1 });
    const params = initParams(spec, { seed: 4 });
    const { x, labels } = batch(spec, 5, 4);
    const a = await new CpuModel(base).lossAndGradient(params, x, labels, 5);
    const b = await new CpuModel(spec).lossAndGradient(params, x, labels, 5);
    expect(a.balance).toBe(0);
    expect(b.balance).toBeGreaterThan(1 - 1e-12);
    expect(b.loss).toBe(a.loss);
    const layout = paramLayout(spec);
    for (let k = layout.router; k < layout.total; k++) expect(b.grad[k]).toBe(a.grad[k]);
    expect(Array.from(b.grad.subarray(0, layout.router))).not.toEqual(Array.from(a.grad.subarray(0, layout.router)));
  });
});

describe('top-k routing', () => {
  it('K = number of experts is the dense model exactly (losses, outputs, gradients)', async () => {
    for (const options of [
      { router: 'linear', preset: 'paper' },
      { router: 'quantum', preset: 'paper', layers: 2 },
      { router: 'mlp', preset: 'code', experts: 3, hidden: [4] },
    ] as SpecOptions[]) {
      const dense = makeSpec(options);
      const spec = makeSpec({ ...options, topK: dense.experts });
      expect(spec.topK).toBe(dense.experts);
      const params = initParams(spec, { seed: 2 });
      const { x, labels } = batch(spec, 9, 2);
      const a = await new CpuModel(dense).lossAndGradient(params, x, labels, 9);
      const b = await new CpuModel(spec).lossAndGradient(params, x, labels, 9);
      expect(Array.from(b.logits)).toEqual(Array.from(a.logits));
      expect(Array.from(b.grad)).toEqual(Array.from(a.grad));
      expect(b.loss).toBe(a.loss);
    }
  });

  it('keeps the K most probable experts and renormalises', () => {
    const spec = makeSpec({ router: 'linear', preset: 'paper', topK: 2 }); // 4 experts
    const route = Float64Array.of(0.1, 0.4, 0.3, 0.2, 0.25, 0.25, 0.25, 0.25);
    const g = routeGate(spec, route, 2, undefined);
    expect(Array.from(g.weights.subarray(0, 4)).map((v) => +v.toFixed(12))).toEqual([0, 0.4 / 0.7, 0.3 / 0.7, 0].map((v) => +v.toFixed(12)));
    // Ties go to the lower index.
    expect(Array.from(g.weights.subarray(4))).toEqual([0.5, 0.5, 0, 0]);
    expect(Array.from(g.dispatch.subarray(0, 4))).toEqual([0, 0.5, 0.5, 0]);
  });

  it('gradients match finite differences (K < experts, every router)', async () => {
    await checkGradient({ router: 'linear', preset: 'paper', topK: 2 });
    await checkGradient({ router: 'linear', preset: 'paper', topK: 1, balance: 0.4 });
    await checkGradient({ router: 'mlp', preset: 'paper', topK: 3 });
    await checkGradient({ router: 'quantum', preset: 'paper', layers: 2, topK: 2, balance: 1 });
    await checkGradient({ router: 'quantum', preset: 'code', qubits: 3, layers: 2, experts: 4, topK: 3 });
  });

  it('experts outside the top K get no gradient from that row', async () => {
    const spec = makeSpec({ router: 'linear', preset: 'paper', topK: 1 });
    const params = initParams(spec, { seed: 5 });
    const { x, labels } = batch(spec, 1, 5);
    const model = new CpuModel(spec);
    const g = await model.lossAndGradient(params, x, labels, 1);
    const kept = g.dispatch.findIndex((v) => v > 0);
    const layout = paramLayout(spec);
    const per = layout.experts / spec.experts;
    for (let e = 0; e < spec.experts; e++) {
      const block = Array.from(g.grad.subarray(layout.router + e * per, layout.router + (e + 1) * per));
      if (e === kept) expect(block.some((v) => v !== 0)).toBe(true);
      else expect(block.every((v) => v === 0)).toBe(true);
    }
    // One expert: the output is that expert's logits.
    expect(g.gate[kept]).toBe(1);
  });
});

describe('quantum experts', () => {
  it('one qubit, one layer: logits = A cos(x + theta) + a', async () => {
    const spec = makeSpec({ router: 'linear', preset: 'code', features: 1, expertsKind: 'quantum', expertLayers: 1 });
    expect(spec.expertQubits).toBe(1);
    const layout = paramLayout(spec);
    // Per expert: 1 angle + classes x (1 + 1) readout.
    expect(layout.experts).toBe(spec.experts * (1 + 2 * 2));
    const params = initParams(spec, { seed: 7 });
    const model = new CpuModel(spec);
    const x = Float64Array.of(0.8);
    const f = await model.forward(params, x, 1);
    const y = [0, 0];
    for (let e = 0; e < spec.experts; e++) {
      const b = layout.router + e * 5;
      const z = Math.cos(0.8 + params[b]);
      for (let c = 0; c < 2; c++) y[c] += f.route[e] * (params[b + 1 + c] * z + params[b + 3 + c]);
    }
    expect(f.logits[0]).toBeCloseTo(y[0], 13);
    expect(f.logits[1]).toBeCloseTo(y[1], 13);
  });

  it('the expert circuit takes its angles as input columns after the features', () => {
    const spec = makeSpec({ router: 'linear', preset: 'paper', features: 2, expertsKind: 'quantum', expertQubits: 3, expertLayers: 2, expertReupload: true });
    const c = expertCircuit(spec);
    expect(c.features).toBe(2 + 6);
    expect(c.params).toBe(0);
    expect(c.ops.filter((op) => op.angle?.kind === 'feature' && op.angle.index < 2)).toHaveLength(4); // embedded twice
  });

  it('gradients match finite differences for every router, with re-uploading, top-k and balance', async () => {
    await checkGradient({ router: 'linear', preset: 'paper', expertsKind: 'quantum' });
    await checkGradient({ router: 'mlp', preset: 'code', hidden: [4], expertsKind: 'quantum', expertQubits: 3, expertLayers: 2, expertReupload: true });
    await checkGradient({ router: 'quantum', preset: 'paper', layers: 2, expertsKind: 'quantum', topK: 2, balance: 0.3 });
    await checkGradient({ router: 'quantum', preset: 'code', features: 3, classes: 3, experts: 3, expertsKind: 'quantum', expertLayers: 1 }, 5);
  });
});

describe('mixture options are checked', () => {
  const err = (options: SpecOptions, argument: string, limit: RegExp) => {
    try {
      makeSpec(options);
    } catch (e) {
      expect(e).toBeInstanceOf(QmoeInputError);
      expect((e as QmoeInputError).argument).toBe(argument);
      expect((e as Error).message).toMatch(limit);
      return;
    }
    throw new Error(`makeSpec accepted ${JSON.stringify(options)}`);
  };
  it('names the option and the limit', () => {
    err({ router: 'linear', topK: 5 }, '--top-k', /from 1 to the number of experts \(4\)/);
    err({ router: 'linear', topK: 0 }, '--top-k', /from 1/);
    err({ router: 'linear', topK: 1, routeShots: 4 }, '--route-shots', /combined with --top-k/);
    err({ router: 'linear', routeShots: 0 }, '--route-shots', /1/);
    err({ router: 'linear', balance: -1 }, '--balance', /from 0 to 1000/);
    err({ router: 'linear', expertQubits: 3 }, '--expert-qubits', /--experts-kind quantum/);
    err({ router: 'linear', features: 3, expertsKind: 'quantum', expertQubits: 2 }, '--expert-qubits', /at least 3 qubits/);
    err({ router: 'linear', expertsKind: 'cubic' as 'linear' }, '--experts-kind', /linear, quantum/);
  });
  it('stores only what differs from the study, and model files keep it', () => {
    const plain = makeSpec({ router: 'linear', balance: 0 });
    expect(Object.keys(plain).sort()).toEqual(Object.keys(makeSpec({ router: 'linear' })).sort());
    const spec = makeSpec({ router: 'quantum', expertsKind: 'quantum', expertLayers: 3, routeShots: 8, balance: 0.1 });
    expect(validateSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    expect(() => validateSpec({ ...spec, routeShots: -2 })).toThrow(/spec\.routeShots/);
  });
});
