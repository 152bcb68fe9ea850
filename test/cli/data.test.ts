import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/data/rng.js';
import { runQmoe } from '../helpers/cli.js';

/** qmoe train's data options: --data-file, --label-column, --classes, sizes, and which moons. */
const dir = mkdtempSync(join(tmpdir(), 'qmoe-cli-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmoe = (...args: string[]) => runQmoe(args, 120_000);

/** Three blobs in 2-D with text labels, the label column first. */
function blobsCsv(rows: number): string {
  const rng = new Rng(3);
  const names = ['red', 'green', 'blue'];
  const lines = ['kind,a,b'];
  for (let r = 0; r < rows; r++) lines.push(`${names[r % 3]},${(r % 3) * 2 + 0.4 * rng.normal()},${(r % 3 === 1 ? 2 : 0) + 0.4 * rng.normal()}`);
  return lines.join('\n') + '\n';
}

describe('qmoe train: data options', () => {
  it('--data-file with --label-column: 3 classes, confusion matrix and macro F1 in metrics.json; eval reproduces it', async () => {
    const file = join(dir, 'blobs.csv');
    writeFileSync(file, blobsCsv(150));
    const out = join(dir, 'csv');
    const r = await qmoe('train', '--router', 'linear', '--data-file', file, '--label-column', 'kind', '--epochs', '30', '--lr', '0.1', '--backend', 'cpu', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.dataset).toBe('csv');
    expect(m.classes).toEqual(['blue', 'green', 'red']);
    expect(m.confusion).toHaveLength(3);
    expect(m.confusion.flat().reduce((s: number, v: number) => s + v, 0)).toBe(m.testRows);
    expect(m.macroF1).toBe(m.f1);
    expect(m.accuracy).toBeGreaterThan(0.6);
    expect(m.data).toMatch(/blobs\.csv: 150 rows, features a, b, label column "kind"/);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.dataset).toMatchObject({ name: 'csv', samples: 150, csv: { file, labelColumn: 'kind', classNames: ['blue', 'green', 'red'] } });
    expect(model.spec).toMatchObject({ features: 2, classes: 3 });
    const e = await qmoe('eval', '--model', join(out, 'model.json'), '--backend', 'cpu', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).accuracy).toBe(m.accuracy);
    const text = await qmoe('eval', '--model', join(out, 'model.json'), '--backend', 'cpu');
    expect(text.stdout).toMatch(/data {6}.*blobs\.csv: 150 rows, features a, b, label column "kind"; test split \d+ rows/);
    // The file moved: eval names it and asks for --data-file, which then reads the new place.
    const moved = join(dir, 'blobs-moved.csv');
    writeFileSync(moved, readFileSync(file));
    rmSync(file);
    const lost = await qmoe('eval', '--model', join(out, 'model.json'), '--backend', 'cpu', '--json');
    expect(lost.code).toBe(2);
    expect(lost.stderr).toMatch(/--data-file: ".*blobs\.csv" is invalid; cannot be read .*pass --data-file PATH/);
    // The model's label column and class names come along: only the file is given.
    const found = await qmoe('eval', '--model', join(out, 'model.json'), '--backend', 'cpu', '--json', '--data-file', moved);
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout).accuracy).toBe(m.accuracy);
    // A file whose classes differ would give some class another's index: refused, naming both lists.
    const renamed = join(dir, 'blobs-renamed.csv');
    writeFileSync(renamed, readFileSync(moved, 'utf8').replace(/^blue,/gm, 'zblue,'));
    const other = await qmoe('eval', '--model', join(out, 'model.json'), '--backend', 'cpu', '--data-file', renamed);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('has the classes ["green","red","zblue"]; the model was trained on ["blue","green","red"]');
  });

  it('a bad row exits 2 naming the file, the line and the column, and writes nothing', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'x1,x2,label\n1,2,a\n3,4,b\n\n5,NaN,a\n');
    const out = join(dir, 'bad');
    const r = await qmoe('train', '--router', 'linear', '--data-file', file, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file} line 5, column "x2": "NaN" is invalid; NaN and infinity are not allowed`);
    expect(existsSync(out)).toBe(false);
    const mixed = await qmoe('train', '--router', 'linear', '--dataset', 'mnist', '--data-file', file, '--out', out);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--data-file reads a CSV data set: give it without --dataset mnist/);
  });

  it('MNIST with --classes all and small sizes: ten classes, a 10 x 10 confusion matrix', async () => {
    const out = join(dir, 'mnist10');
    const r = await qmoe('train', '--dataset', 'mnist', '--classes', 'all', '--train-size', '400', '--val-size', '100', '--test-size', '200', '--router', 'linear', '--experts', '3', '--epochs', '2', '--backend', 'cpu', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(m.confusion).toHaveLength(10);
    expect(m.confusion.map((row: number[]) => row.reduce((s, v) => s + v, 0))).toEqual([20, 23, 21, 20, 20, 18, 19, 20, 19, 20]);
    expect(m.accuracy).toBeGreaterThan(0.2);
    const bad = await qmoe('train', '--dataset', 'mnist', '--classes', '3,3', '--router', 'linear', '--out', join(dir, 'x'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--classes "3,3": label 3 is listed twice/);
  });

  it('says which Two Moons a run uses: scikit-learn\'s fixture for the defaults, the generator otherwise', async () => {
    const help = await qmoe('help', 'train');
    expect(help.stdout).toMatch(/scikit-learn's make_moons\(n_samples, noise=0.1, random_state=42\) point for\s+point \(a fixture/);
    const a = await qmoe('train', '--router', 'linear', '--epochs', '1', '--backend', 'cpu', '--out', join(dir, 'm1'), '--json');
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).data).toMatch(/make_moons\(n_samples=1000, noise=0.1, random_state=42\), point for point/);
    const b = await qmoe('train', '--router', 'linear', '--epochs', '1', '--samples', '300', '--backend', 'cpu', '--out', join(dir, 'm2'));
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/data {8}Two Moons: qmoe's generator/);
    expect(b.stderr).toMatch(/epoch 1\/1 .* rows\/s/);
  });
});
