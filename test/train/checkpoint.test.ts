import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { defaultSpec, initParams } from '../../src/moe/models.js';
import { writeFileAtomic } from '../../src/train/atomic.js';
import { loadModel, saveModel, type SavedModel } from '../../src/train/checkpoint.js';
import { DEFAULT_MOONS } from '../../src/train/dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model(): SavedModel {
  const spec = defaultSpec('quantum', 'code');
  return {
    format: 'qmoe-model',
    version: 1,
    spec,
    params: Array.from(initParams(spec, { seed: 1 })),
    scaler: { kind: 'minmax', min: [-1.2, -0.7], max: [2.3, 1.4] },
    range: [0, Math.PI],
    dataset: DEFAULT_MOONS,
    training: { backend: 'cpu', lr: 0.1, epochs: 50, batch: 32, seed: 0, patience: 0, minDelta: 0, init: 'uniform', epochsRun: 50, bestEpoch: 44, stoppedEarly: false },
    metrics: { accuracy: 0.99 },
  };
}

describe('model checkpoints', () => {
  it('round-trips exactly and leaves no temporary files', () => {
    const path = join(dir, 'model.json');
    const m = model();
    saveModel(path, m);
    expect(loadModel(path)).toEqual(m);
    saveModel(path, { ...m, metrics: { accuracy: 0.5 } });
    expect(loadModel(path).metrics).toEqual({ accuracy: 0.5 });
    expect(readdirSync(dir)).toEqual(['model.json']);
  });

  it('refuses to write an invalid model and keeps the old file', () => {
    const path = join(dir, 'keep.json');
    saveModel(path, model());
    const before = readFileSync(path, 'utf8');
    expect(() => saveModel(path, { ...model(), params: [1, 2, 3] })).toThrow(/params/);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writeFileAtomic removes its temporary file when the target cannot be replaced', () => {
    // Renaming a file over a non-empty directory fails.
    const sub = join(dir, 'adir');
    mkdirSync(sub);
    writeFileSync(join(sub, 'f'), '');
    expect(() => writeFileAtomic(sub, 'data')).toThrow();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    rmSync(sub, { recursive: true });
  });

  const corrupt: [string, (m: Record<string, unknown>) => unknown, RegExp][] = [
    ['bad JSON', () => '{"format": "qmoe-model", ', /not valid JSON/],
    ['wrong format', (m) => ({ ...m, format: 'other' }), /model\.format/],
    ['wrong version', (m) => ({ ...m, version: 2 }), /model\.version/],
    ['unknown router', (m) => ({ ...m, spec: { ...(m.spec as object), router: 'transformer' } }), /model\.spec\.router/],
    ['params length', (m) => ({ ...m, params: (m.params as number[]).slice(1) }), /model\.params\.length.*36/],
    ['non-finite param', (m) => ({ ...m, params: (m.params as number[]).map((v, i) => (i === 3 ? null : v)) }), /model\.params\[3\]/],
    ['spec mismatch', (m) => ({ ...m, spec: { ...(m.spec as object), layers: 4 } }), /model\.params\.length/],
    ['scaler', (m) => ({ ...m, scaler: { kind: 'minmax', min: [0], max: [1, 2] } }), /model\.scaler\.min/],
    ['dataset', (m) => ({ ...m, dataset: { ...(m.dataset as object), name: 'cifar10' } }), /model\.dataset\.name/],
    ['not an object', () => '[1, 2]', /must be a JSON object/],
  ];
  for (const [name, edit, re] of corrupt) {
    it(`rejects a file with a ${name}`, () => {
      const path = join(dir, `bad-${name.replace(/\W/g, '_')}.json`);
      const e = edit(JSON.parse(JSON.stringify(model())));
      writeFileSync(path, typeof e === 'string' ? e : JSON.stringify(e));
      expect(() => loadModel(path)).toThrow(QmoeInputError);
      expect(() => loadModel(path)).toThrow(re);
    });
  }

  it('names a missing file', () => {
    expect(() => loadModel(join(dir, 'nope.json'))).toThrow(/no such file/);
  });
});

