import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { checkLimit, checkSpecLimits, clampLimit, epochWork, LIMITS, limitText } from '../../src/moe/limits.js';
import { makeSpec } from '../../src/moe/models.js';

describe('limits table', () => {
  it('checks values against the app column or the file column', () => {
    expect(checkLimit('qubits', 12)).toBe(12);
    expect(() => checkLimit('qubits', 13)).toThrow(QmoeInputError);
    expect(() => checkLimit('qubits', 13)).toThrow(/qubits: 13 is invalid; must be an integer from 1 to 12 \(a 12-qubit router/);
    expect(checkLimit('qubits', 13, 'spec.qubits', 'file')).toBe(13);
    expect(() => checkLimit('qubits', 2.5)).toThrow(/an integer/);
    expect(() => checkLimit('lr', Number.NaN)).toThrow(/learning rate: NaN is invalid; must be a number from 0.0001 to 5/);
    expect(() => checkLimit('samples', '1000')).toThrow(QmoeInputError);
    expect(limitText('noiseRate')).toBe('a number from 0 to 0.2');
  });

  it('clamps with a note that says what happened', () => {
    expect(clampLimit('qubits', 16)).toEqual({ value: 12, note: expect.stringMatching(/^qubits: 16 is above the maximum 12/) });
    expect(clampLimit('noiseRate', 0.5).value).toBe(0.2);
    expect(clampLimit('epochs', 0)).toEqual({ value: 1, note: 'epochs: 0 is below the minimum 1; set to 1' });
    expect(clampLimit('batch', 3.4)).toEqual({ value: 3, note: 'batch: 3.4 is not an integer; set to 3' });
    expect(clampLimit('layers', 12)).toEqual({ value: 12 });
    expect(clampLimit('seed', Number.NaN).value).toBe(LIMITS.seed.min);
  });

  it('checks a spec: sizes, MLP widths, and the qubit limit under noise', () => {
    const q = (qubits: number) => makeSpec({ router: 'quantum', preset: 'paper', qubits, layers: 2 });
    expect(() => checkSpecLimits(q(12))).not.toThrow();
    expect(() => checkSpecLimits(q(13))).toThrow(/spec\.qubits/);
    expect(() => checkSpecLimits(q(6), 0.05)).not.toThrow();
    expect(() => checkSpecLimits(q(7), 0.05)).toThrow(/spec\.qubits \(with noise rate p = 0\.05\): 7 is invalid; must be an integer from 1 to 6/);
    expect(() => checkSpecLimits(q(2), 0.3)).toThrow(/noise rate p: 0\.3/);
    expect(() => checkSpecLimits(makeSpec({ router: 'mlp', hidden: [8, 300] }))).toThrow(/spec\.hidden\[1\]: 300 is invalid; must be an integer from 1 to 256/);
  });

  it('estimates work that grows with the qubits, the rows and the noise', () => {
    const q = (qubits: number, preset: 'paper' | 'code' = 'paper') => makeSpec({ router: 'quantum', preset, qubits, layers: 4 });
    const w = [2, 4, 8, 10].map((n) => epochWork(q(n), 700, 150));
    for (let i = 1; i < w.length; i++) expect(w[i]).toBeGreaterThan(w[i - 1]);
    expect(epochWork(q(8), 1400, 300)).toBeCloseTo(2 * epochWork(q(8), 700, 150), 6);
    expect(epochWork(q(4, 'code'), 700, 150)).toBeGreaterThan(epochWork(q(4), 700, 150));
    expect(epochWork(q(4), 700, 150, { p: 0.01, trajectories: 8 })).toBeGreaterThan(5 * epochWork(q(4), 700, 150));
    expect(epochWork(makeSpec({ router: 'linear' }), 700, 150)).toBeLessThan(epochWork(q(2), 700, 150));
  });
});
