import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { initParams, makeSpec } from '../../src/moe/models.js';
import { DEFAULT_MOONS } from '../../src/train/dataset.js';
import { savedModel } from '../../src/train/model-file.js';
import { checkDataSetup, checkSetup, DEFAULT_SETUP, presetSetup, setupFromModel, setupFromQuery, setupToQuery, specOf } from '../../demos/lib/setup.js';
import type { Setup } from '../../demos/lib/protocol.js';

/** The playground's settings: limits, links and model files (demos/lib/setup.ts). */
describe('playground setup', () => {
  it('round-trips through the URL, writing only what differs from the preset', () => {
    expect(setupToQuery(DEFAULT_SETUP)).toBe('');
    expect(setupToQuery(presetSetup('code'))).toBe('preset=code');
    const s: Setup = { ...presetSetup('code'), router: 'mlp', hidden: [8, 4], epochs: 77, lr: 0.05, seed: 3, engine: 'cpu', init: 'small', samples: 500, noiseRate: 0.01 };
    const q = setupToQuery(s);
    expect(q).toMatch(/preset=code/);
    expect(q).not.toMatch(/batch=/);
    expect(setupFromQuery(q)).toEqual({ setup: s, notes: [] });
  });

  it('clamps numbers from a link and keeps the defaults for unknown values, saying so', () => {
    const { setup, notes } = setupFromQuery('?qubits=16&noiseRate=0.5&router=transformer&hidden=8,x&foo=1&epochs=');
    expect(setup.qubits).toBe(12);
    expect(setup.noiseRate).toBe(0.2);
    expect(setup.router).toBe('quantum');
    expect(setup.hidden).toEqual([16, 8, 4]);
    expect(setup.epochs).toBe(1);
    expect(notes).toEqual([
      expect.stringMatching(/^qubits: 16 is above the maximum 12/),
      expect.stringMatching(/^noise rate p: 0\.5 is above the maximum 0\.2/),
      expect.stringMatching(/^router: "transformer" is not one of/),
      expect.stringMatching(/^MLP hidden: "8,x" is invalid/),
      'foo: not a setting of the playground; ignored',
      expect.stringMatching(/^epochs: NaN is not a number; set to 1/),
    ]);
  });

  it('refuses impossible setups naming the form field, not a command-line flag', () => {
    const bad = (over: Partial<Setup>) => () => checkSetup({ ...DEFAULT_SETUP, ...over });
    expect(bad({ experts: 5 })).toThrow(/^experts: 5 is invalid; the paper preset's experts are blocks of the 2\^2 = 4 basis states/);
    expect(bad({ qubits: 13 })).toThrow(/^qubits: 13 is invalid; must be an integer from 1 to 12/);
    expect(bad({ qubits: 7, noiseRate: 0.01 })).toThrow(/^qubits \(with noise rate p = 0\.01\): 7 is invalid/);
    expect(bad({ router: 'mlp', qubits: 7, noiseRate: 0.01 })).not.toThrow(); // the noise applies to router B only
    expect(bad({ hidden: [8, 300] })).toThrow(/MLP hidden \(layer 2\): 300/);
    expect(bad({ samples: 10_000_000 })).toThrow(QmoeInputError);
    expect(() => checkDataSetup({ ...DEFAULT_SETUP, qubits: 99, samples: 500 })).not.toThrow();
    expect(() => specOf({ ...DEFAULT_SETUP, experts: 3, qubits: 1 }, 2)).toThrow(/^(qubits|experts): /);
  });

  it('takes a model file into the form, with its noise rate and clamped training settings', () => {
    const spec = makeSpec({ router: 'quantum', preset: 'code', features: 2, classes: 2 });
    const m = savedModel({
      spec,
      result: { params: initParams(spec, { seed: 0 }), epochsRun: 3, bestEpoch: 3, stoppedEarly: false },
      data: { scaler: { kind: 'minmax', min: [0, 0], max: [1, 1] }, range: [0, Math.PI], settings: { ...DEFAULT_MOONS, samples: 600 } },
      training: { backend: 'cpu', lr: 0.1, epochs: 50_000, batch: 16, seed: 4, patience: 0, init: 'small', gateNoise: { p: 0.05, placement: 'embedding-output', trajectories: 8, forward: 'density-matrix', seed: 4, circuit: 'cpu', shots: null } },
      metrics: {},
    });
    const { setup, notes } = setupFromModel(m, 'auto');
    expect(setup).toMatchObject({ router: 'quantum', preset: 'code', qubits: 2, layers: 3, experts: 2, samples: 600, noiseRate: 0.05, lr: 0.1, epochs: 10_000, batch: 16, seed: 4, init: 'small', engine: 'auto' });
    expect(notes).toEqual([expect.stringMatching(/^the file's training epochs: 50000 is above the maximum 10000/)]);
    expect(() => checkSetup(setup)).not.toThrow();
  });
});

describe('the playground\'s expert kind, top-k, shots and balance', () => {
  it('map to the spec (0 is off) and round-trip through the URL', () => {
    const s = { ...DEFAULT_SETUP, expertsKind: 'quantum' as const, topK: 2, balance: 0.1 };
    expect(specOf(s, 2)).toMatchObject({ expertsKind: 'quantum', topK: 2, balance: 0.1 });
    expect(specOf(DEFAULT_SETUP, 2).routeShots).toBeUndefined();
    const q = setupToQuery(s);
    expect(q).toBe('expertsKind=quantum&topK=2&balance=0.1');
    expect(setupFromQuery(q).setup).toEqual(s);
    expect(specOf({ ...DEFAULT_SETUP, routeShots: 8 }, 2).routeShots).toBe(8);
  });
  it('name the field when out of range', () => {
    expect(() => specOf({ ...DEFAULT_SETUP, topK: 5 }, 2)).toThrow(/^top-k: 5 is invalid; must be an integer from 1 to the number of experts \(4\)/);
    expect(() => specOf({ ...DEFAULT_SETUP, topK: 2, routeShots: 4 }, 2)).toThrow(/^route-shots: .*top-k/);
    expect(() => checkSetup({ ...DEFAULT_SETUP, routeShots: 5000 })).toThrow(/route shots/);
  });
});
