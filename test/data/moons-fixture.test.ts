import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeMoonsSource, makeMoons, moonsSource, twoMoons } from '../../src/data/moons.js';
import { SKLEARN_MOONS } from '../../src/data/moons-sklearn.js';
import { DEFAULT_MOONS, prepareData } from '../../src/train/dataset.js';

/**
 * Two Moons as scikit-learn's: the committed fixture (src/data/moons-sklearn.ts) and the script
 * that writes it (scripts/make-moons-fixture.py, Debian's python3-sklearn). The script runs here
 * where a python3 with scikit-learn is found, and must in CI (QMOE_REQUIRE_DATASETS=1, .ci/run
 * installs python3-sklearn).
 */
function pythonWithSklearn(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(py, ['-c', 'import sklearn'], { stdio: 'ignore' });
      return py;
    } catch {
      // not this one
    }
  }
  return undefined;
}

describe('Two Moons from scikit-learn', () => {
  it("the fixture's first rows are make_moons(1000, noise=0.1, random_state=42)'s, and the presets use them", () => {
    const m = SKLEARN_MOONS.find((s) => s.samples === 1000)!;
    expect(m).toMatchObject({ noise: 0.1, seed: 42 });
    expect(m.x.slice(0, 6)).toEqual([-0.05146967571016664, 0.4441986308046334, 1.032016906500432, -0.41974115743074153, 0.8678918640664149, -0.2548271144008464]);
    expect(m.y.slice(0, 3)).toEqual([1, 1, 1]);
    expect(m.x).toHaveLength(2000);
    expect(m.y.filter((v) => v === 0)).toHaveLength(500);
    const small = SKLEARN_MOONS.find((s) => s.samples === 500)!;
    expect(small.x.slice(0, 2)).toEqual([0.8306764268633708, -0.40993581043173394]);

    const d = twoMoons({ samples: 1000, noise: 0.1, seed: 42 });
    expect(d.source).toBe('sklearn-fixture');
    expect(Array.from(d.x)).toEqual(m.x);
    expect(Array.from(d.y)).toEqual(m.y);
    const data = prepareData(DEFAULT_MOONS, 'paper');
    expect(Array.from(data.raw)).toEqual(m.x);
    expect(data.source).toMatch(/scikit-learn .*make_moons\(n_samples=1000, noise=0.1, random_state=42\), point for point/);
  });

  it('other sizes, noises and seeds come from the generator', () => {
    expect(moonsSource({ samples: 1000, noise: 0.1, seed: 42 })).toBe('sklearn-fixture');
    expect(moonsSource({ samples: 500, noise: 0.1, seed: 42 })).toBe('sklearn-fixture');
    for (const o of [{ samples: 999, noise: 0.1, seed: 42 }, { samples: 1000, noise: 0.2, seed: 42 }, { samples: 1000, noise: 0.1, seed: 7 }]) {
      expect(moonsSource(o)).toBe('generator');
      const d = twoMoons(o);
      expect(d.source).toBe('generator');
      expect(d.x).toEqual(makeMoons(o).x);
      expect(describeMoonsSource(o)).toMatch(/qmoe's generator/);
    }
    // Unshuffled rows are never the fixture's (scikit-learn's are shuffled).
    expect(twoMoons({ samples: 1000, noise: 0.1, seed: 42, shuffle: false }).source).toBe('generator');
  });

  const python = pythonWithSklearn();
  const required = process.env.QMOE_REQUIRE_DATASETS === '1';
  it.skipIf(!python && !required)('scripts/make-moons-fixture.py reproduces the committed fixture exactly (python3-sklearn)', () => {
    expect(python, 'no python3 with scikit-learn: apt-get install python3-sklearn').toBeDefined();
    expect(existsSync('scripts/make-moons-fixture.py')).toBe(true);
    const out = JSON.parse(execFileSync(python!, ['scripts/make-moons-fixture.py', '--json'], { encoding: 'utf8', maxBuffer: 1 << 24 }));
    expect(out.sets).toHaveLength(SKLEARN_MOONS.length);
    out.sets.forEach((s: { samples: number; noise: number; seed: number; x: number[]; y: number[] }, i: number) => {
      const f = SKLEARN_MOONS[i];
      expect([s.samples, s.noise, s.seed]).toEqual([f.samples, f.noise, f.seed]);
      expect(s.x).toEqual(f.x);
      expect(s.y).toEqual(f.y);
    });
  });
  if (!python && !required) it.skip('(skipped: no python3 with scikit-learn; apt-get install python3-sklearn)', () => {});
});
