import { QmoeInputError } from '../errors.js';

/**
 * A labelled table from CSV text, for Node and the browser (no Node-only imports).
 *
 * The format: a header row naming the columns, then one row per sample; cells separated by
 * commas (or semicolons or tabs, detected from the header), optionally in double quotes ("" for
 * a quote inside); blank lines are skipped, a byte-order mark and spaces around cells ignored.
 * One column is the label (by name, default the last): any text, mapped to classes 0..k-1 in
 * sorted order (numerically when every label is a number). Every other column is a feature and
 * must hold a finite decimal number in every row.
 *
 * Bad rows throw a CsvError naming the line (1-based, as an editor shows it) and the column:
 * a missing or an extra cell, an empty cell, NaN or infinity, text in a numeric column, a label
 * column with a single class. A short parser of our own rather than a CSV library: the errors
 * need the physical line and the column of every cell, and the data are plain numbers.
 */
export interface CsvTable {
  /** Every column name, in file order. */
  header: string[];
  /** The feature columns' names, in file order (the header without the label column). */
  features: string[];
  labelColumn: string;
  /** rows x features.length, row-major. */
  x: Float64Array;
  /** Class of each row, 0..classNames.length - 1. */
  labels: Int32Array;
  /** The label text of each class, sorted. */
  classNames: string[];
  rows: number;
}

export interface CsvOptions {
  /** The label column's name (default: the last column). */
  labelColumn?: string;
  /** Most data rows (default 10,000,000). */
  maxRows?: number;
  /** Most distinct labels (default 256): more usually means the wrong column is the label. */
  maxClasses?: number;
}

/** A bad CSV: `line` (1-based) and `column` (a header name, or where a cell has none) say where. */
export class CsvError extends QmoeInputError {
  readonly line: number;
  readonly column: string;
  constructor(line: number, column: string, value: unknown, problem: string) {
    super(`line ${line}, column ${JSON.stringify(column)}`, value, problem);
    this.name = 'CsvError';
    this.line = line;
    this.column = column;
  }
}

const DELIMITERS = [',', ';', '\t'] as const;
/** A decimal number as people write them: no NaN, Infinity, hex, thousands separators or spaces inside. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The cells of one line; throws for an unterminated quote. */
function splitLine(text: string, delimiter: string, line: number, header: string[] | null): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ') i++;
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          const col = header?.[cells.length] ?? `column ${cells.length + 1}`;
          throw new CsvError(line, col, text.slice(i - 1, i + 20), 'an opening double quote has no closing one on the same line');
        }
        cell += text.slice(i, q);
        if (text[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < text.length && text[i] !== delimiter) {
        const col = header?.[cells.length] ?? `column ${cells.length + 1}`;
        throw new CsvError(line, col, text.slice(i, i + 20), `text after a closing quote must be followed by the delimiter ${JSON.stringify(delimiter)}`);
      }
    } else {
      const d = text.indexOf(delimiter, i);
      cell = (d < 0 ? text.slice(i) : text.slice(i, d)).trim();
      i = d < 0 ? text.length : d;
    }
    cells.push(cell);
    if (i >= text.length) return cells;
    i++; // past the delimiter
  }
}

/** Parses CSV text into a labelled table (see CsvTable); throws CsvError for bad rows. */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  if (typeof text !== 'string') throw new QmoeInputError('csv', typeof text, 'must be text');
  const maxRows = options.maxRows ?? 10_000_000;
  const maxClasses = options.maxClasses ?? 256;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let at = 0;
  while (at < lines.length && lines[at].trim() === '') at++;
  if (at === lines.length) throw new CsvError(1, '(header)', '', 'the CSV is empty: it needs a header row and data rows');
  const headerLine = at + 1;
  const first = lines[at];
  const delimiter = DELIMITERS.find((d) => first.includes(d)) ?? ',';
  const header = splitLine(first, delimiter, headerLine, null);
  // A first line of numbers is a data row, not names: taking it as the header would drop a sample.
  if (header.every((name) => NUMBER.test(name))) throw new CsvError(headerLine, '(header)', first.slice(0, 60), 'the first line must be a header naming the columns (e.g. x1,x2,label); this one holds only numbers');
  const seen = new Set<string>();
  header.forEach((name, j) => {
    if (name === '') throw new CsvError(headerLine, `column ${j + 1}`, name, 'the header must name every column');
    if (seen.has(name)) throw new CsvError(headerLine, name, name, 'the header names this column twice');
    seen.add(name);
  });
  if (header.length < 2) throw new CsvError(headerLine, header[0], first.slice(0, 60), `needs at least two columns (features and a label) separated by ${DELIMITERS.map((d) => JSON.stringify(d)).join(', ')}`);
  const labelColumn = options.labelColumn ?? header[header.length - 1];
  const labelAt = header.indexOf(labelColumn);
  if (labelAt < 0) throw new QmoeInputError('--label-column', labelColumn, `is not a column of the header (line ${headerLine}): ${header.map((h) => JSON.stringify(h)).join(', ')}`);
  const features = header.filter((_, j) => j !== labelAt);
  const width = features.length;

  let x = new Float64Array(1024 * width);
  const raw: string[] = [];
  let firstLine = 0;
  let lastLine = 0;
  for (let l = at + 1; l < lines.length; l++) {
    const lineText = lines[l];
    if (lineText.trim() === '') continue;
    const line = l + 1;
    const cells = splitLine(lineText, delimiter, line, header);
    if (cells.length < header.length) throw new CsvError(line, header[cells.length], lineText.slice(0, 60), `the row has ${cells.length} cells where the header has ${header.length}: this column's cell is missing`);
    if (cells.length > header.length) throw new CsvError(line, `column ${header.length + 1}`, cells[header.length], `an extra cell: the header has ${header.length} columns`);
    if (raw.length >= maxRows) throw new CsvError(line, labelColumn, raw.length + 1, `more than ${maxRows} data rows`);
    const row = raw.length;
    if ((row + 1) * width > x.length) {
      const grown = new Float64Array(x.length * 2);
      grown.set(x);
      x = grown;
    }
    let f = 0;
    for (let j = 0; j < cells.length; j++) {
      const cell = cells[j];
      if (j === labelAt) {
        if (cell === '') throw new CsvError(line, header[j], cell, 'the label is missing');
        raw.push(cell);
        continue;
      }
      if (!NUMBER.test(cell)) {
        const problem =
          cell === ''
            ? 'the value is missing: every feature cell must hold a number'
            : /^[+-]?(nan|inf(inity)?)$/i.test(cell)
              ? 'NaN and infinity are not allowed: every feature must be a finite number'
              : 'text in a numeric column: feature cells must be decimal numbers';
        throw new CsvError(line, header[j], cell, problem);
      }
      const v = Number(cell);
      if (!Number.isFinite(v)) throw new CsvError(line, header[j], cell, 'too large for a float64 number');
      x[row * width + f++] = v;
    }
    if (firstLine === 0) firstLine = line;
    lastLine = line;
  }
  const rows = raw.length;
  if (rows === 0) throw new CsvError(headerLine + 1, labelColumn, '', 'the CSV has a header but no data rows');
  const distinct = [...new Set(raw)];
  const numeric = distinct.every((d) => NUMBER.test(d));
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (distinct.length < 2) throw new CsvError(firstLine, labelColumn, distinct[0], `every row (lines ${firstLine}-${lastLine}) has this label: at least 2 classes are needed`);
  if (distinct.length > maxClasses) throw new CsvError(firstLine, labelColumn, `${distinct.length} distinct labels`, `at most ${maxClasses} classes; is ${JSON.stringify(labelColumn)} the label column? (--label-column NAME)`);
  const classOf = new Map(distinct.map((name, c) => [name, c]));
  return {
    header,
    features,
    labelColumn,
    x: x.slice(0, rows * width),
    labels: Int32Array.from(raw, (l) => classOf.get(l)!),
    classNames: distinct,
    rows,
  };
}
