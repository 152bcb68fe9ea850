import { QmoeInputError } from '../../errors.js';

/** Token kinds. */
export const ID = 0;
export const NUM = 1;
export const STR = 2;
export const SYM = 3;
export const EOF = 4;

/** Throws the parser's error: `qasm line N: VALUE is invalid; LIMIT`. */
export function fail(line: number, value: unknown, limit: string): never {
  throw new QmoeInputError(`qasm line ${line}`, value, limit);
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdPart = (c: number) => isIdStart(c) || isDigit(c);
const SYMBOLS: (string | undefined)[] = [];
for (const ch of '+-*/^;,[](){}=') SYMBOLS[ch.charCodeAt(0)] = ch;
/** OpenQASM 3 spells pi, tau and euler's number as these letters too. */
const GREEK = new Set([0x3c0, 0x3c4, 0x2107]);

/**
 * An on-demand tokenizer: `kind`, `text` and `line` describe the current token, `advance()` moves
 * to the next. It scans character codes and allocates only the token texts, so a 10 MB file
 * tokenizes in a fraction of a second.
 */
export class Lexer {
  kind: number = EOF;
  text = '';
  line = 1;
  private pos = 0;
  private nextLine = 1;

  constructor(private readonly src: string) {
    this.advance();
  }

  /** True when the current token has kind `kind` (a method, so that checks do not narrow `kind`). */
  at(kind: number): boolean {
    return this.kind === kind;
  }

  /** True when the current token is the symbol or keyword `text` (never a string literal). */
  is(text: string): boolean {
    return this.text === text && this.kind !== STR && this.kind !== EOF;
  }

  advance(): void {
    const src = this.src;
    const n = src.length;
    let i = this.pos;
    let line = this.nextLine;
    for (;;) {
      if (i >= n) break;
      const c = src.charCodeAt(i);
      if (c === 10) {
        line++;
        i++;
      } else if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12 || c === 0xfeff || c === 0xa0) {
        i++;
      } else if (c === 47 && src.charCodeAt(i + 1) === 47) {
        const end = src.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (c === 47 && src.charCodeAt(i + 1) === 42) {
        const end = src.indexOf('*/', i + 2);
        if (end < 0) fail(line, '/*', 'unterminated /* comment');
        for (let k = i; k < end; k++) if (src.charCodeAt(k) === 10) line++;
        i = end + 2;
      } else {
        break;
      }
    }
    this.line = line;
    if (i >= n) {
      this.kind = EOF;
      this.text = 'end of input';
      this.pos = i;
      this.nextLine = line;
      return;
    }
    const start = i;
    const c = src.charCodeAt(i);
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      if (src.charCodeAt(i) === 46) {
        i++;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      const e = src.charCodeAt(i);
      if (e === 101 || e === 69) {
        let j = i + 1;
        const sign = src.charCodeAt(j);
        if (sign === 43 || sign === 45) j++;
        if (isDigit(src.charCodeAt(j))) {
          while (j < n && isDigit(src.charCodeAt(j))) j++;
          i = j;
        }
      }
      this.kind = NUM;
    } else if (isIdStart(c) || GREEK.has(c)) {
      i++;
      while (i < n && isIdPart(src.charCodeAt(i))) i++;
      this.kind = ID;
    } else if (c === 34) {
      const end = src.indexOf('"', i + 1);
      const nl = src.indexOf('\n', i + 1);
      if (end < 0 || (nl >= 0 && nl < end)) fail(line, src.slice(i, nl < 0 ? Math.min(n, i + 40) : nl), 'unterminated string');
      i = end + 1;
      this.kind = STR;
    } else {
      // Symbols are interned strings: no slice per token.
      const next = src.charCodeAt(i + 1);
      const two = (c === 45 && next === 62) || (c === 61 && next === 61) || (c === 42 && next === 42);
      const sym = two ? src.slice(i, i + 2) : SYMBOLS[c];
      if (sym === undefined) fail(line, String.fromCodePoint(src.codePointAt(i)!), 'unexpected character');
      this.kind = SYM;
      this.text = sym;
      this.pos = i + sym.length;
      this.nextLine = line;
      return;
    }
    this.text = src.slice(start, i);
    this.pos = i;
    this.nextLine = line;
  }
}
