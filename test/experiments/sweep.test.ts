import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../src/experiments/sweep.js';
import { countParams, makeSpec } from '../../src/moe/models.js';
import { pairedPermutationTest } from '../../src/stats/permutation.js';
import { tinySweep } from '../helpers/study-tables.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qmoe sweep (Fig. 2)', () => {
  it('an MLP of several hidden layers, per-point statistics, the study-size quantum router against every classical point', async () => {
    const out = join(dir, 'deep');
    const r = await runSweep({ ...tinySweep(out), seeds: 3, layers: [12], widths: [2], deep: [[8, 4]], budget: { ...tinySweep(out).budget, epochs: 1 } });
    expect(r.points.map((p) => p.id)).toEqual(['quantum-q2-l12', 'linear', 'mlp-h2', 'mlp-h8-4']);
    expect(r.studyPoint).toBe('quantum-q2-l12');
    expect(r.comparisons.map((c) => c.name)).toEqual(['quantum-q2-l12 - linear', 'quantum-q2-l12 - mlp-h2', 'quantum-q2-l12 - mlp-h8-4']);
    const q = r.points[0].accuracy.values;
    expect(r.comparisons[0].test.p).toBe(pairedPermutationTest(r.points[1].accuracy.values, q).p);
    for (const p of r.points) expect(p.accuracy).toMatchObject({ n: 3, collapse: { threshold: 0.9 } });
    expect(readFileSync(join(out, 'sweep.md'), 'utf8')).toContain("| quantum (the study's size) | 2 qubits x 12 layers |");
  });

  it('the 8-4 MLP on 8 PCA features has the 128 router parameters of the text\'s MNIST classical router', () => {
    expect(countParams(makeSpec({ router: 'mlp', features: 8, classes: 2, hidden: [8, 4] })).router).toBe(128);
  });
});
