import { readFileSync } from 'node:fs';
import { QmoeInputError } from '../errors.js';
import { CsvError, parseCsv, type CsvOptions, type CsvTable } from './csv.js';

/**
 * Reads and parses a CSV file (src/data/csv.ts) in Node. Errors name the file: a CsvError's
 * argument becomes `FILE line L, column "C"`, still a CsvError (exit 2 on the command line).
 */
export function readCsvFile(path: string, options: CsvOptions = {}): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new QmoeInputError('--data-file', path, `cannot be read (${err.code === 'ENOENT' ? 'no such file' : err.message})`);
  }
  try {
    return parseCsv(text, options);
  } catch (e) {
    if (e instanceof CsvError) {
      const named = new CsvError(e.line, e.column, e.value, e.limit);
      named.message = `${path} ${e.message}`;
      throw named;
    }
    throw e;
  }
}
