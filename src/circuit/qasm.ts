import { QmoeInputError } from '../errors.js';
import { GATES } from './gates.js';
import type { Angle, Circuit, GateName, Op } from './types.js';
import { MAX_QUBITS, validateCircuit } from './validate.js';

/** OpenQASM 2 (qelib1) names this importer understands, and the model gate each becomes. */
const QASM_GATES: Readonly<Record<string, GateName>> = {
  h: 'h', x: 'x', y: 'y', z: 'z', s: 's', t: 't',
  rx: 'rx', ry: 'ry', rz: 'rz',
  cx: 'cnot', CX: 'cnot', cz: 'cz', swap: 'swap',
  crx: 'crx', cry: 'cry', crz: 'crz',
};
const SUPPORTED = 'h, x, y, z, s, t, rx, ry, rz, cx, cz, swap, crx, cry, crz';

/** Single-argument functions of OpenQASM 2 expressions. */
const FUNCS: Readonly<Record<string, (x: number) => number>> = {
  sin: Math.sin, cos: Math.cos, tan: Math.tan, exp: Math.exp, ln: Math.log, sqrt: Math.sqrt,
};

type TokKind = 'id' | 'num' | 'str' | 'sym' | 'eof';
interface Tok {
  kind: TokKind;
  text: string;
  line: number;
}

function fail(line: number, value: unknown, limit: string): never {
  throw new QmoeInputError(`qasm line ${line}`, value, limit);
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail(line, '/*', 'unterminated /* comment');
      for (let k = i; k < end; k++) if (src[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    const rest = src.slice(i);
    const m =
      /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest) ??
      /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ??
      /^"[^"\n]*"/.exec(rest) ??
      /^(?:->|==|[;,[\](){}+\-*/^])/.exec(rest);
    if (!m) fail(line, c, 'unexpected character');
    const text = m[0];
    const kind: TokKind = /^[\d.]/.test(text) ? 'num' : /^[A-Za-z_]/.test(text) ? 'id' : text[0] === '"' ? 'str' : 'sym';
    toks.push({ kind, text, line });
    i += text.length;
  }
  toks.push({ kind: 'eof', text: 'end of input', line });
  return toks;
}

interface Reg {
  offset: number;
  size: number;
}

/** One gate argument: a single qubit, or a whole register (broadcast as in OpenQASM 2). */
type QArg = { reg: string; index?: number };

class Parser {
  private pos = 0;
  private qregs = new Map<string, Reg>();
  private cregs = new Set<string>();
  private qubits = 0;
  private ops: Op[] = [];

  constructor(private toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.pos];
  }
  private next(): Tok {
    const t = this.toks[this.pos];
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private accept(text: string): boolean {
    if (this.peek().text === text && this.peek().kind !== 'str') {
      this.pos++;
      return true;
    }
    return false;
  }
  private expect(text: string, what = `'${text}'`): Tok {
    const t = this.next();
    if (t.text !== text || t.kind === 'str' || t.kind === 'eof') fail(t.line, t.text, `expected ${what}`);
    return t;
  }
  private expectKind(kind: TokKind, what: string): Tok {
    const t = this.next();
    if (t.kind !== kind) fail(t.line, t.text, `expected ${what}`);
    return t;
  }
  private expectSize(): number {
    const t = this.expectKind('num', 'a register size');
    const n = Number(t.text);
    if (!/^\d+$/.test(t.text) || n < 1) fail(t.line, t.text, 'register size must be a positive integer');
    return n;
  }

  parse(): Circuit {
    const head = this.next();
    if (head.text !== 'OPENQASM') fail(head.line, head.text, "must start with the header 'OPENQASM 2.0;'");
    const ver = this.expectKind('num', 'a version number after OPENQASM');
    if (Number(ver.text) !== 2) fail(ver.line, ver.text, 'only OpenQASM 2.0 is supported');
    this.expect(';');
    while (this.peek().kind !== 'eof') this.statement();
    if (this.qubits === 0) throw new QmoeInputError('qasm', 'no qreg', 'declare at least one qubit with qreg name[size];');
    return validateCircuit({ qubits: this.qubits, features: 0, params: 0, ops: this.ops });
  }

  private statement(): void {
    const t = this.next();
    if (t.kind !== 'id') fail(t.line, t.text, 'expected a statement');
    switch (t.text) {
      case 'include': {
        const f = this.expectKind('str', 'a quoted file name after include');
        // The supported gates are exactly qelib1's, so that include is the only meaningful one.
        if (f.text !== '"qelib1.inc"') fail(f.line, f.text, 'only include "qelib1.inc" is supported');
        this.expect(';');
        return;
      }
      case 'qreg':
      case 'creg': {
        const name = this.expectKind('id', 'a register name');
        if (this.qregs.has(name.text) || this.cregs.has(name.text)) fail(name.line, name.text, 'register already declared');
        this.expect('[');
        const size = this.expectSize();
        this.expect(']');
        this.expect(';');
        if (t.text === 'creg') {
          this.cregs.add(name.text);
          return;
        }
        if (this.qubits + size > MAX_QUBITS) fail(name.line, size, `at most ${MAX_QUBITS} qubits in all registers together`);
        this.qregs.set(name.text, { offset: this.qubits, size });
        this.qubits += size;
        return;
      }
      case 'measure':
      case 'barrier':
        // No effect on the state before measurement, which is all this model describes.
        while (!this.accept(';')) {
          if (this.peek().kind === 'eof') fail(this.peek().line, 'end of input', "expected ';'");
          this.next();
        }
        return;
      case 'reset':
      case 'gate':
      case 'opaque':
      case 'if':
        fail(t.line, t.text, `'${t.text}' is not supported (only straight-line qelib1 gates: ${SUPPORTED})`);
    }
    this.gate(t);
  }

  private gate(t: Tok): void {
    const gate = QASM_GATES[t.text];
    if (!gate) fail(t.line, t.text, `unknown or unsupported gate; supported gates: ${SUPPORTED}`);
    const info = GATES[gate];
    const angles: number[] = [];
    if (this.accept('(')) {
      if (!this.accept(')')) {
        do { angles.push(this.expr()); } while (this.accept(','));
        this.expect(')', "')' or ','");
      }
    }
    const want = info.parametric ? 1 : 0;
    if (angles.length !== want) fail(t.line, angles.length, `${t.text} takes ${want} angle argument(s)`);
    const args: QArg[] = [];
    do { args.push(this.qarg()); } while (this.accept(','));
    this.expect(';', "';' or ','");
    if (args.length !== info.arity) fail(t.line, args.length, `${t.text} takes ${info.arity} qubit argument(s)`);

    // Register arguments broadcast elementwise; all of them must have the same size.
    let reps = 1;
    for (const a of args) {
      if (a.index !== undefined) continue;
      const size = this.qregs.get(a.reg)!.size;
      if (reps !== 1 && size !== reps) fail(t.line, a.reg, `registers of one gate must have equal sizes (${reps} vs ${size})`);
      reps = size;
    }
    for (let k = 0; k < reps; k++) {
      const wires = args.map((a) => this.qregs.get(a.reg)!.offset + (a.index ?? k));
      if (wires.length === 2 && wires[0] === wires[1]) fail(t.line, wires, `the two qubits of ${t.text} must differ`);
      const op: Op = { gate, wires };
      if (info.parametric) op.angle = { kind: 'const', value: angles[0] };
      this.ops.push(op);
    }
  }

  private qarg(): QArg {
    const name = this.expectKind('id', 'a qubit register');
    const reg = this.qregs.get(name.text);
    if (!reg) fail(name.line, name.text, this.cregs.has(name.text) ? 'is a classical register; gates need a qreg' : 'unknown qubit register');
    if (!this.accept('[')) return { reg: name.text };
    const idx = this.expectKind('num', 'a qubit index');
    const i = Number(idx.text);
    if (!/^\d+$/.test(idx.text) || i >= reg.size) {
      fail(idx.line, `${name.text}[${idx.text}]`, `index out of range: register ${name.text} has size ${reg.size} (indices 0 to ${reg.size - 1})`);
    }
    this.expect(']');
    return { reg: name.text, index: i };
  }

  // Angle expressions, in float64: expr = term (+|- term)*, term = unary (*|/ unary)*,
  // unary = -unary | +unary | power, power = primary (^ unary)?
  private expr(): number {
    const line = this.peek().line;
    const v = this.sum();
    if (!Number.isFinite(v)) fail(line, v, 'angle expression must evaluate to a finite number');
    return v;
  }
  private sum(): number {
    let v = this.product();
    for (;;) {
      if (this.accept('+')) v += this.product();
      else if (this.accept('-')) v -= this.product();
      else return v;
    }
  }
  private product(): number {
    let v = this.unary();
    for (;;) {
      if (this.accept('*')) v *= this.unary();
      else if (this.accept('/')) v /= this.unary();
      else return v;
    }
  }
  private unary(): number {
    if (this.accept('-')) return -this.unary();
    if (this.accept('+')) return this.unary();
    const base = this.primary();
    return this.accept('^') ? base ** this.unary() : base;
  }
  private primary(): number {
    const t = this.next();
    if (t.kind === 'num') return Number(t.text);
    if (t.text === '(' && t.kind === 'sym') {
      const v = this.sum();
      this.expect(')');
      return v;
    }
    if (t.kind === 'id') {
      if (t.text === 'pi') return Math.PI;
      const f = FUNCS[t.text];
      if (f) {
        this.expect('(', `'(' after ${t.text}`);
        const v = this.sum();
        this.expect(')');
        return f(v);
      }
      fail(t.line, t.text, `unknown name in expression; use numbers, pi, + - * / ^, parentheses and ${Object.keys(FUNCS).join(', ')}`);
    }
    fail(t.line, t.text, 'expected a number, pi, a function or ( in an angle expression');
  }
}

/**
 * Parses an OpenQASM 2.0 program using the qelib1 gates of the model (h x y z s t rx ry rz cx
 * cz swap crx cry crz). Registers are concatenated in declaration order; `measure` and `barrier`
 * are ignored. Angles become constants, so the circuit has no features or params.
 * Throws a QmoeInputError naming `qasm line N` for anything it cannot represent.
 */
export function parseQasm(text: string): Circuit {
  if (typeof text !== 'string') throw new QmoeInputError('qasm', text, 'must be a string of OpenQASM 2.0 source');
  return new Parser(tokenize(text)).parse();
}

/** Shortest decimal that parses back to the same float64, in OpenQASM 2 real syntax. */
function formatReal(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  // String() may give "1e-7"; OpenQASM 2 reals need a dot before the exponent.
  return /e/.test(s) && !/\./.test(s) ? s.replace('e', '.0e') : s;
}

/**
 * Writes `circuit` as OpenQASM 2.0 with one `qreg q[n]`, one gate per line and angles that parse
 * back to the identical float64. Feature angles take their values from `bind.features` (one
 * input row) and param angles from `bind.params`.
 */
export function toQasm(circuit: Circuit, bind?: { features?: ArrayLike<number>; params?: ArrayLike<number> }): string {
  validateCircuit(circuit);
  const needs = (kind: 'feature' | 'param') => circuit.ops.some((op) => op.angle?.kind === kind);
  const check = (name: 'features' | 'params', width: number) => {
    const arr = bind?.[name];
    if (!arr || arr.length !== width) {
      throw new QmoeInputError(`bind.${name}`, arr?.length, `the circuit has ${name === 'features' ? 'feature' : 'param'} angles; pass ${width} numbers (one row)`);
    }
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i])) throw new QmoeInputError(`bind.${name}[${i}]`, arr[i], 'must be a finite number');
    }
  };
  if (needs('feature')) check('features', circuit.features);
  if (needs('param')) check('params', circuit.params);
  const value = (a: Angle) => (a.kind === 'const' ? a.value : a.kind === 'feature' ? bind!.features![a.index] : bind!.params![a.index]);

  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', `qreg q[${circuit.qubits}];`];
  for (const op of circuit.ops) {
    const name = GATES[op.gate].qasm;
    const angle = op.angle ? `(${formatReal(value(op.angle))})` : '';
    lines.push(`${name}${angle} ${op.wires.map((w) => `q[${w}]`).join(',')};`);
  }
  return lines.join('\n') + '\n';
}
