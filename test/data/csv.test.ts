import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvError, parseCsv } from '../../src/data/csv.js';
import { readCsvFile } from '../../src/data/csv-file.js';
import { QmoeInputError } from '../../src/errors.js';
import { prepareData } from '../../src/train/dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CsvError that parsing `text` throws. */
function csvError(text: string, options = {}): CsvError {
  try {
    parseCsv(text, options);
  } catch (e) {
    expect(e).toBeInstanceOf(CsvError);
    expect(e).toBeInstanceOf(QmoeInputError);
    return e as CsvError;
  }
  throw new Error('no CsvError');
}

describe('parseCsv', () => {
  it('reads a header, features and a label column (the last by default), classes sorted', () => {
    const t = parseCsv('\uFEFFx1,x2,label\r\n0.5,-1,b\n\n 2 , 3e-1 ,a\n-.25,+4,"b"\n');
    expect(t.header).toEqual(['x1', 'x2', 'label']);
    expect(t.features).toEqual(['x1', 'x2']);
    expect(t.labelColumn).toBe('label');
    expect(t.rows).toBe(3);
    expect(Array.from(t.x)).toEqual([0.5, -1, 2, 0.3, -0.25, 4]);
    expect(t.classNames).toEqual(['a', 'b']);
    expect(Array.from(t.labels)).toEqual([1, 0, 1]);
  });

  it('takes the label column by name, numeric labels in numeric order, other delimiters and quotes', () => {
    const t = parseCsv('class;"a ""x""";b\n10;1;2\n9;3;4\n10;5;6\n', { labelColumn: 'class' });
    expect(t.features).toEqual(['a "x"', 'b']);
    expect(t.classNames).toEqual(['9', '10']);
    expect(Array.from(t.labels)).toEqual([1, 0, 1]);
    expect(Array.from(t.x)).toEqual([1, 2, 3, 4, 5, 6]);
    const tabs = parseCsv('f\ty\n1\tu\n2\tv\n');
    expect(Array.from(tabs.x)).toEqual([1, 2]);
    expect(() => parseCsv('a,b\n1,2\n3,4\n', { labelColumn: 'c' })).toThrow(/--label-column: "c" is invalid; is not a column of the header \(line 1\): "a", "b"/);
  });

  it('names the line and the column of every bad row', () => {
    const head = 'x1,x2,label\n1,2,a\n';
    const cases: [string, number, string, RegExp][] = [
      [head + '3,b\n', 3, 'label', /the row has 2 cells where the header has 3/],
      [head + '3,4,a,9\n', 3, 'column 4', /an extra cell: the header has 3 columns/],
      [head + '\n3,NaN,a\n', 4, 'x2', /NaN and infinity are not allowed/],
      [head + '3,inf,a\n', 3, 'x2', /NaN and infinity/],
      [head + 'three,4,a\n', 3, 'x1', /text in a numeric column/],
      [head + '3,1.5.2,a\n', 3, 'x2', /text in a numeric column/],
      [head + '3,0x10,a\n', 3, 'x2', /text in a numeric column/],
      [head + ',4,a\n', 3, 'x1', /the value is missing/],
      [head + '3,4,\n', 3, 'label', /the label is missing/],
      ['\n0.1,0.8,0\n1.2,-0.3,1\n', 2, '(header)', /the first line must be a header naming the columns/],
      [head + '3,"4,a\n', 3, 'x2', /opening double quote/],
      ['x1,x2,label\n1,2,a\n3,4,a\n\n5,6,a\n', 2, 'label', /every row \(lines 2-5\) has this label: at least 2 classes/],
      ['x1,x1,label\n1,2,a\n', 1, 'x1', /names this column twice/],
      ['x1,,label\n1,2,a\n', 1, 'column 2', /must name every column/],
      ['x1,x2,label\n', 2, 'label', /no data rows/],
      ['\n\n', 1, '(header)', /empty/],
      ['x1\n1\n', 1, 'x1', /at least two columns/],
    ];
    for (const [text, line, column, problem] of cases) {
      const e = csvError(text);
      expect([e.line, e.column], text).toEqual([line, column]);
      expect(e.message, text).toMatch(problem);
      expect(e.message, text).toMatch(new RegExp(`^line ${line}, column "${column.replace(/[()]/g, '\\$&')}"`));
    }
    expect(csvError('a,b\n1,2\n2,3\n3,4\n', { maxClasses: 2 }).message).toMatch(/at most 2 classes; is "b" the label column/);
    expect(csvError('a,b\n1,2\n2,3\n3,4\n', { maxRows: 2 }).line).toBe(4);
  });

  it('from a file, the errors name the file; a CSV data set splits and scales like moons', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'x1,x2,y\n1,2,0\n1,oops,1\n');
    expect(() => readCsvFile(bad)).toThrow(new RegExp(`^${bad.replace(/[.]/g, '\\.')} line 3, column "x2": "oops" is invalid`));
    expect(() => readCsvFile(join(dir, 'missing.csv'))).toThrow(/--data-file: .* cannot be read \(no such file\)/);
    const good = join(dir, 'three.csv');
    const lines = ['a,b,c,kind'];
    for (let i = 0; i < 60; i++) lines.push(`${i % 3},${(i * 7) % 11},${i / 10},${['x', 'y', 'z'][i % 3]}`);
    writeFileSync(good, lines.join('\n'));
    const d = prepareData({ name: 'csv', samples: 0, noise: 0, seed: 42, split: { train: 0.7, validation: 0.15, test: 0.15 }, csv: { file: good } }, 'paper');
    expect([d.features, d.classes]).toEqual([3, 3]);
    expect(d.classNames).toEqual(['x', 'y', 'z']);
    expect([d.splits.train.rows, d.splits.validation.rows, d.splits.test.rows]).toEqual([42, 9, 9]);
    expect(d.settings).toMatchObject({ samples: 60, csv: { file: good, labelColumn: 'kind', classNames: ['x', 'y', 'z'] } });
    const col = Array.from({ length: 42 }, (_, r) => d.splits.train.x[r * 3 + 2]);
    expect(Math.min(...col)).toBeCloseTo(0, 12);
    expect(Math.max(...col)).toBeCloseTo(Math.PI, 12);
    // A model's stored classes must still be the file's.
    expect(() => prepareData({ ...d.settings, csv: { file: good, classNames: ['x', 'y'] } }, 'paper')).toThrow(/has the classes/);
  });
});
