import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../demos/lib/data.js';
import { CsvError } from '../../src/data/csv.js';
import { QmoeInputError } from '../../src/errors.js';

/** The playground's CSV path: the library's parser (as `qmoe train --data-file`), two features. */
describe('playground parseCsv', () => {
  const rows = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');

  it('reads x1, x2, label with a header, classes sorted as the library sorts them', () => {
    const p = parseCsv('x1;x2;kind\n' + rows(30, (i) => `${i / 10};${-i};${i % 3 === 0 ? 'b' : 'a'}`));
    expect(p.rows).toBe(30);
    expect(p.header).toEqual(['x1', 'x2', 'kind']);
    expect(p.classNames).toEqual(['a', 'b']);
    expect(Array.from(p.x.subarray(0, 4))).toEqual([0, 0, 0.1, -1]);
    expect(p.labels[0]).toBe(1);
  });

  it('names the line and the column of a bad row, as the CLI does', () => {
    const err = (() => {
      try {
        parseCsv('x1,x2,label\n' + rows(25, (i) => `${i},1,${i % 2}`) + '\n3,NaN,1\n');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CsvError);
    expect((err as CsvError).line).toBe(27);
    expect((err as CsvError).column).toBe('x2');
  });

  it('refuses other than two feature columns, a headerless file and too few rows, naming each', () => {
    expect(() => parseCsv('a,b,c,label\n' + rows(30, (i) => `${i},1,2,${i % 2}`))).toThrow(/exactly two feature columns.*3 feature columns/);
    expect(() => parseCsv(rows(30, (i) => `${i},1,${i % 2}`))).toThrow(/first line must be a header/);
    expect(() => parseCsv('x1,x2,label\n' + rows(5, (i) => `${i},1,${i % 2}`))).toThrow(QmoeInputError);
    expect(() => parseCsv('x1,x2,label\n' + rows(5, (i) => `${i},1,${i % 2}`))).toThrow(/at least 20 data rows/);
  });
});
