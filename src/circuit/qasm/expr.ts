import { EOF, ID, type Lexer, NUM, SYM, fail } from './lexer.js';

/**
 * Angle expressions: parsed into small trees over the parameters of the enclosing gate
 * definition, folded to numbers where they are constant, substituted when definitions call each
 * other, and evaluated in float64 together with their derivatives (forward-mode dual numbers), so
 * that `qmoe grad` can apply the chain rule from the lowered gates' angles to the file's angles.
 */
export type Expr =
  | { k: 'num'; v: number; depth: 1 }
  | { k: 'arg'; i: number; depth: 1 }
  | { k: 'neg'; a: Expr; depth: number }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr; depth: number }
  | { k: 'fn'; f: FuncName; a: Expr; depth: number };
type BinOp = '+' | '-' | '*' | '/' | '^';

/** Deepest expression tree (nesting or a long chain of operators), also after substituting arguments. */
export const MAX_EXPRESSION_DEPTH = 256;

const FUNCS = {
  sin: [Math.sin, Math.cos],
  cos: [Math.cos, (x: number) => -Math.sin(x)],
  tan: [Math.tan, (x: number) => 1 / Math.cos(x) ** 2],
  exp: [Math.exp, Math.exp],
  ln: [Math.log, (x: number) => 1 / x],
  sqrt: [Math.sqrt, (x: number) => 0.5 / Math.sqrt(x)],
  // OpenQASM 3 names.
  arcsin: [Math.asin, (x: number) => 1 / Math.sqrt(1 - x * x)],
  arccos: [Math.acos, (x: number) => -1 / Math.sqrt(1 - x * x)],
  arctan: [Math.atan, (x: number) => 1 / (1 + x * x)],
} as const satisfies Record<string, readonly [(x: number) => number, (x: number) => number]>;
type FuncName = keyof typeof FUNCS;
const isFunc = (name: string): name is FuncName => Object.prototype.hasOwnProperty.call(FUNCS, name);

const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, π: Math.PI, tau: 2 * Math.PI, τ: 2 * Math.PI, euler: Math.E, ℇ: Math.E };

export const num = (v: number): Expr => ({ k: 'num', v, depth: 1 });

function binValue(op: BinOp, a: number, b: number): number {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '^': return a ** b;
  }
}

/** Builds a node, folding constants and refusing trees deeper than MAX_EXPRESSION_DEPTH. */
function make(line: number, node: Expr): Expr {
  if (node.k === 'neg' && node.a.k === 'num') return num(-node.a.v);
  if (node.k === 'bin' && node.a.k === 'num' && node.b.k === 'num') return num(binValue(node.op, node.a.v, node.b.v));
  if (node.k === 'fn' && node.a.k === 'num') return num(FUNCS[node.f][0](node.a.v));
  if (node.depth > MAX_EXPRESSION_DEPTH) {
    fail(line, node.depth, `angle expression too deep: at most ${MAX_EXPRESSION_DEPTH} nested operations (after substituting gate arguments)`);
  }
  return node;
}
const neg = (line: number, a: Expr) => make(line, { k: 'neg', a, depth: a.depth + 1 });
const bin = (line: number, op: BinOp, a: Expr, b: Expr) => make(line, { k: 'bin', op, a, b, depth: Math.max(a.depth, b.depth) + 1 });
const fn = (line: number, f: FuncName, a: Expr) => make(line, { k: 'fn', f, a, depth: a.depth + 1 });

/**
 * Parses expressions at a lexer's token. `scope` maps the enclosing gate's parameter names to
 * their positions (empty at top level, where every expression folds to a number). Grammar:
 * sum = product (+|- product)*, product = unary (*|/ unary)*, unary = -unary | +unary | power,
 * power = primary (^ unary)?; ^ and ** bind tighter than unary minus on their left only.
 * A class rather than closures: one instance per file, as 10 MB files parse a million expressions.
 */
export class ExprParser {
  private depth = 0;
  private scope: ReadonlyMap<string, number> = new Map();

  constructor(private readonly lex: Lexer) {}

  parse(scope: ReadonlyMap<string, number>): Expr {
    this.scope = scope;
    this.depth = 0;
    return this.sum();
  }

  private enter(): void {
    if (++this.depth > MAX_EXPRESSION_DEPTH) fail(this.lex.line, this.depth, `angle expression nested too deeply: at most ${MAX_EXPRESSION_DEPTH} levels`);
  }

  private sum(): Expr {
    const lex = this.lex;
    this.enter();
    let v = this.product();
    for (;;) {
      const line = lex.line;
      if (lex.is('+')) { lex.advance(); v = bin(line, '+', v, this.product()); }
      else if (lex.is('-')) { lex.advance(); v = bin(line, '-', v, this.product()); }
      else break;
    }
    this.depth--;
    return v;
  }

  private product(): Expr {
    const lex = this.lex;
    let v = this.unary();
    for (;;) {
      const line = lex.line;
      if (lex.is('*')) { lex.advance(); v = bin(line, '*', v, this.unary()); }
      else if (lex.is('/')) { lex.advance(); v = bin(line, '/', v, this.unary()); }
      else return v;
    }
  }

  private unary(): Expr {
    const lex = this.lex;
    const line = lex.line;
    if (lex.is('-') || lex.is('+')) {
      const minus = lex.text === '-';
      lex.advance();
      this.enter();
      const a = this.unary();
      this.depth--;
      return minus ? neg(line, a) : a;
    }
    const base = this.primary();
    if (!lex.is('^') && !lex.is('**')) return base;
    lex.advance();
    this.enter();
    const exponent = this.unary();
    this.depth--;
    return bin(line, '^', base, exponent);
  }

  private primary(): Expr {
    const lex = this.lex;
    const line = lex.line;
    const text = lex.text;
    if (lex.at(NUM)) {
      lex.advance();
      return num(Number(text));
    }
    if (lex.at(SYM) && text === '(') {
      lex.advance();
      const v = this.sum();
      this.close();
      return v;
    }
    if (lex.at(ID)) {
      lex.advance();
      const arg = this.scope.get(text);
      if (arg !== undefined) return { k: 'arg', i: arg, depth: 1 };
      const c = CONSTANTS[text];
      if (c !== undefined) return num(c);
      if (isFunc(text)) {
        if (!lex.is('(')) fail(lex.line, lex.text, `expected '(' after ${text}`);
        lex.advance();
        const v = this.sum();
        this.close();
        return fn(line, text, v);
      }
      const names = this.scope.size ? `the gate's parameters (${[...this.scope.keys()].join(', ')}), ` : '';
      fail(line, text, `unknown name in expression; use numbers, ${names}pi, + - * / ^, parentheses and ${Object.keys(FUNCS).join(', ')}`);
    }
    fail(line, lex.at(EOF) ? 'end of input' : text, 'expected a number, pi, a function or ( in an angle expression');
  }

  private close(): void {
    if (!this.lex.is(')')) fail(this.lex.line, this.lex.text, "expected ')'");
    this.lex.advance();
  }
}

/** The expression with each `arg i` replaced by `args[i]` (folding constants). */
export function substitute(e: Expr, args: readonly Expr[], line: number): Expr {
  switch (e.k) {
    case 'num': return e;
    case 'arg': return args[e.i];
    case 'neg': return neg(line, substitute(e.a, args, line));
    case 'bin': return bin(line, e.op, substitute(e.a, args, line), substitute(e.b, args, line));
    case 'fn': return fn(line, e.f, substitute(e.a, args, line));
  }
}

/**
 * A value with its gradient with respect to the file's angle parameters, as sparse terms sorted
 * by parameter: [param0, coef0, param1, coef1, ...].
 */
export interface Dual {
  v: number;
  d: readonly number[];
}

const NONE: readonly number[] = [];

/** a x + b y of two sparse gradients. */
function combine(a: number, x: readonly number[], b: number, y: readonly number[]): readonly number[] {
  if (y.length === 0 || b === 0) return a === 1 ? x : x.map((v, i) => (i & 1 ? a * v : v));
  if (x.length === 0 || a === 0) return b === 1 ? y : y.map((v, i) => (i & 1 ? b * v : v));
  const out: number[] = [];
  let i = 0, j = 0;
  while (i < x.length || j < y.length) {
    if (j >= y.length || (i < x.length && x[i] < y[j])) { out.push(x[i], a * x[i + 1]); i += 2; }
    else if (i >= x.length || y[j] < x[i]) { out.push(y[j], b * y[j + 1]); j += 2; }
    else { out.push(x[i], a * x[i + 1] + b * y[j + 1]); i += 2; j += 2; }
  }
  return out;
}

/** Evaluates `e` with the gate's parameters bound to `env`: value and derivative terms. */
export function evaluate(e: Expr, env: readonly Dual[]): Dual {
  switch (e.k) {
    case 'num': return { v: e.v, d: NONE };
    case 'arg': return env[e.i];
    case 'neg': {
      const a = evaluate(e.a, env);
      return { v: -a.v, d: combine(-1, a.d, 0, NONE) };
    }
    case 'fn': {
      const a = evaluate(e.a, env);
      const [f, df] = FUNCS[e.f];
      return { v: f(a.v), d: a.d.length ? combine(df(a.v), a.d, 0, NONE) : NONE };
    }
    case 'bin': {
      const a = evaluate(e.a, env);
      const b = evaluate(e.b, env);
      switch (e.op) {
        case '+': return { v: a.v + b.v, d: combine(1, a.d, 1, b.d) };
        case '-': return { v: a.v - b.v, d: combine(1, a.d, -1, b.d) };
        case '*': return { v: a.v * b.v, d: combine(b.v, a.d, a.v, b.d) };
        case '/': return { v: a.v / b.v, d: combine(1 / b.v, a.d, -a.v / (b.v * b.v), b.d) };
        case '^': {
          const v = a.v ** b.v;
          // d(a^b) = b a^(b-1) da + a^b ln(a) db; the second term only where b varies.
          const da = a.d.length ? b.v * a.v ** (b.v - 1) : 0;
          const db = b.d.length ? v * Math.log(a.v) : 0;
          return { v, d: combine(da, a.d, db, b.d) };
        }
      }
    }
  }
}
