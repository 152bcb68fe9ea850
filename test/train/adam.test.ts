import { describe, expect, it } from 'vitest';
import { Adam } from '../../src/train/adam.js';
import { QmoeInputError } from '../../src/errors.js';

describe('Adam', () => {
  it('matches a hand-computed two-step example (PyTorch bias correction)', () => {
    // lr 0.1, betas (0.9, 0.999), eps 1e-8; p0 = 1; gradients 0.5 then -0.2.
    // Step 1: m = 0.05, v = 0.00025, m^ = 0.5, v^ = 0.25: p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.900000002.
    // Step 2: m = 0.025, v = 0.00028975, m^ = 0.025 / 0.19, v^ = 0.00028975 / 0.001999:
    //         p = 0.900000002 - 0.1 * m^ / (sqrt(v^) + 1e-8) = 0.8654394181165108.
    const adam = new Adam(2, { lr: 0.1 });
    const p = Float64Array.of(1, -3);
    adam.step(p, [0.5, 0]);
    expect(p[0]).toBeCloseTo(0.900000002, 14);
    expect(p[1]).toBe(-3);
    adam.step(p, [-0.2, 0]);
    expect(p[0]).toBeCloseTo(0.8654394181165108, 13);
    expect(adam.steps).toBe(2);
  });

  it('has the default settings lr 0.01, betas 0.9 / 0.999, eps 1e-8', () => {
    expect(new Adam(1).settings).toEqual({ lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    // First step moves every coordinate by about lr against the sign of its gradient.
    const adam = new Adam(3);
    const p = Float64Array.of(0, 0, 0);
    adam.step(p, [2, -1e-3, 0]);
    expect(p[0]).toBeCloseTo(-0.01, 8);
    expect(p[1]).toBeCloseTo(0.01, 6);
    expect(p[2]).toBe(0);
  });

  it('reset() forgets the moments and the step count', () => {
    const a = new Adam(1, { lr: 0.1 });
    const p = Float64Array.of(1);
    a.step(p, [0.5]);
    a.step(p, [-0.2]);
    a.reset();
    const q = Float64Array.of(1);
    a.step(q, [0.5]);
    expect(q[0]).toBeCloseTo(0.900000002, 14);
    expect(a.steps).toBe(1);
  });

  it('rejects bad settings and sizes', () => {
    expect(() => new Adam(1, { lr: 0 })).toThrow(QmoeInputError);
    expect(() => new Adam(1, { lr: NaN })).toThrow(/--lr/);
    expect(() => new Adam(1, { beta1: 1 })).toThrow(/beta1/);
    expect(() => new Adam(2).step(new Float64Array(2), [1])).toThrow(/grad/);
  });
});
