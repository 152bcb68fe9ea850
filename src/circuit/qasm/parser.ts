import { QmoeInputError } from '../../errors.js';
import { GATES } from '../gates.js';
import type { GateName, Op } from '../types.js';
import { MAX_QUBITS } from '../validate.js';
import { type Dual, type Expr, ExprParser, evaluate, substitute } from './expr.js';
import { EOF, ID, Lexer, NUM, STR, fail } from './lexer.js';
import { PRELUDE, primitiveNames } from './prelude.js';
import type { QasmCondition, QasmParameter, QasmProgram, QasmRegister, QasmStep } from './program.js';

/** Most ops a program may expand to (user gates can multiply); about 1 GB of ops. */
export const MAX_OPS = 1 << 23;
/** Most ops one gate definition may expand to (checked before it is expanded). */
export const MAX_GATE_OPS = 1 << 20;
/** Widest creg an `if` can compare (its value must be an exact float64 integer). */
const MAX_CONDITION_BITS = 53;

/** A gate as calls see it: primitive ops over its formal qubits, angles over its parameters. */
interface Template {
  params: string[];
  qubits: number;
  ops: { gate: GateName; wires: number[]; angle: Expr | null }[];
  opaque?: boolean;
  /** Defined in the file (a second definition of the same name is an error). */
  user?: boolean;
}

/** One register argument: a whole register (index -1) or one of its (qu)bits. */
interface QArg {
  reg: QasmRegister;
  index: number;
}

/** OpenQASM 3 statements outside the subset this parser reads. */
const V3_UNSUPPORTED = new Set([
  'def', 'defcal', 'cal', 'for', 'while', 'const', 'input', 'output', 'let', 'box', 'delay', 'ctrl', 'negctrl', 'inv', 'pow',
  'duration', 'stretch', 'extern', 'array', 'int', 'uint', 'float', 'angle', 'bool', 'complex', 'return', 'break', 'continue', 'end', 'switch', 'pragma', 'else',
]);

let builtins: Map<string, Template> | null = null;
const NO_SCOPE: ReadonlyMap<string, number> = new Map();

/** The gate library (model gates and the prelude's definitions), built once. */
function builtinTemplates(): Map<string, Template> {
  if (builtins) return builtins;
  const map = new Map<string, Template>();
  for (const [name, gate] of primitiveNames()) {
    const info = GATES[gate];
    const wires = Array.from({ length: info.arity }, (_, i) => i);
    // Parameter names as qelib1 writes them: rotations take theta, phase gates lambda.
    const params = !info.parametric ? [] : info.axis === undefined ? ['lambda'] : ['theta'];
    map.set(name, { params, qubits: info.arity, ops: [{ gate, wires, angle: info.parametric ? { k: 'arg', i: 0, depth: 1 } : null }] });
  }
  const p = new Parser(`OPENQASM 2.0;\n${PRELUDE}`, map);
  p.parse();
  for (const t of map.values()) t.user = false;
  builtins = map;
  return map;
}

class Parser {
  private readonly lex: Lexer;
  private version: 2 | 3 = 2;
  private readonly qregs = new Map<string, QasmRegister>();
  private readonly cregs = new Map<string, QasmRegister>();
  private qubits = 0;
  private clbits = 0;
  private readonly ops: Op[] = [];
  /** The file's angle arguments in columns: value, line, position and application of each. */
  private readonly params = { value: [] as number[], line: [] as number[], arg: [] as number[], app: [] as number[], apps: [] as { gate: string; qubits: number[]; names: string[] }[] };
  private readonly jStart: number[] = [0];
  private readonly jParam: number[] = [];
  private readonly jCoef: number[] = [];
  private readonly gateOps: number[] = [];
  private readonly steps: QasmStep[] = [];
  /** Start of the open run of unconditional gates in `ops`. */
  private runStart = 0;
  private dynamic: QasmProgram['dynamic'] = null;
  /** Per qubit: the line of its last measurement (0: none since its last reset). */
  private measured: number[] = [];
  /** OpenQASM 3 registers declared without a size (`qubit q;`): one qubit or bit. */
  private readonly scalars = new Set<string>();
  /** Per qubit: a gate, measurement or reset has acted on it. */
  private touched: boolean[] = [];

  private readonly exprs: ExprParser;

  constructor(src: string, private readonly templates: Map<string, Template>) {
    this.lex = new Lexer(src);
    this.exprs = new ExprParser(this.lex);
  }

  // --- tokens ---
  private accept(text: string): boolean {
    if (!this.lex.is(text)) return false;
    this.lex.advance();
    return true;
  }
  private expect(text: string, what = `'${text}'`): void {
    if (!this.lex.is(text)) fail(this.lex.line, this.lex.text, `expected ${what}`);
    this.lex.advance();
  }
  private ident(what: string): string {
    if (!this.lex.at(ID)) fail(this.lex.line, this.lex.text, `expected ${what}`);
    const t = this.lex.text;
    this.lex.advance();
    return t;
  }
  private integer(what: string): number {
    const { text, line } = this.lex;
    if (!this.lex.at(NUM) || !/^\d+$/.test(text)) fail(line, text, `expected ${what} (a non-negative integer)`);
    this.lex.advance();
    return Number(text);
  }

  parse(): QasmProgram {
    const lex = this.lex;
    if (!lex.is('OPENQASM')) fail(lex.line, lex.text, "must start with the header 'OPENQASM 2.0;' (or 'OPENQASM 3.0;')");
    lex.advance();
    const ver = lex.text;
    if (!lex.at(NUM)) fail(lex.line, ver, 'expected a version number after OPENQASM');
    if (Number(ver) === 2) this.version = 2;
    else if (Math.floor(Number(ver)) === 3) this.version = 3;
    else fail(lex.line, ver, 'only OpenQASM 2.0 (and the common subset of OpenQASM 3) is supported');
    lex.advance();
    this.expect(';');
    while (!lex.at(EOF)) this.statement();
    this.closeRun();
    const cols = this.params;
    let list: QasmParameter[] | undefined;
    return {
      version: this.version,
      circuit: { qubits: this.qubits, features: 0, params: 0, ops: this.ops },
      // Made on first access: parsing a 10 MB file for its probabilities never builds them.
      get parameters(): QasmParameter[] {
        const { value, line, arg, app, apps } = cols;
        list ??= value.map((v, i) => {
          const a = apps[app[i]];
          return { gate: a.gate, qubits: a.qubits, argument: arg[i], name: a.names[arg[i]], line: line[i], value: v };
        });
        return list;
      },
      jacobian: { start: Uint32Array.from(this.jStart), param: Uint32Array.from(this.jParam), coef: Float64Array.from(this.jCoef) },
      gateOps: Uint32Array.from(this.gateOps),
      qregs: [...this.qregs.values()],
      cregs: [...this.cregs.values()],
      clbits: this.clbits,
      steps: this.steps,
      dynamic: this.dynamic,
    };
  }

  private statement(): void {
    const lex = this.lex;
    const line = lex.line;
    if (!lex.at(ID)) fail(line, lex.text, 'expected a statement');
    const word = lex.text;
    // OpenQASM 3: `c = measure q;` and `c[i] = measure q[i];`.
    if (this.cregs.has(word)) return this.measureAssignment();
    switch (word) {
      case 'include': {
        lex.advance();
        const f = lex.text;
        if (!lex.at(STR)) fail(lex.line, f, 'expected a quoted file name after include');
        // The library is built in; these two names are the ones that mean it.
        if (f !== '"qelib1.inc"' && f !== '"stdgates.inc"') fail(lex.line, f, 'only include "qelib1.inc" (or "stdgates.inc" in OpenQASM 3) is supported');
        lex.advance();
        this.expect(';');
        return;
      }
      case 'qreg':
      case 'creg':
        lex.advance();
        return this.declare(word === 'qreg', true);
      case 'qubit':
      case 'bit':
        if (this.version === 3) {
          lex.advance();
          return this.declare(word === 'qubit', false);
        }
        fail(line, word, `is OpenQASM 3 syntax: declare ${word === 'qubit' ? 'qreg q[n];' : 'creg c[n];'} in OpenQASM 2 (or start the file with OPENQASM 3.0;)`);
      case 'gate':
        lex.advance();
        return this.define(false);
      case 'opaque':
        lex.advance();
        return this.define(true);
      case 'measure':
        lex.advance();
        return this.measure(undefined);
      case 'reset':
        lex.advance();
        return this.reset(undefined);
      case 'barrier':
        lex.advance();
        return this.barrier();
      case 'if':
        lex.advance();
        return this.conditional(line);
      case 'gphase':
        if (this.version === 3) {
          // A global phase: no effect on probabilities.
          lex.advance();
          this.expect('(');
          this.exprs.parse(NO_SCOPE);
          this.expect(')');
          this.expect(';');
          return;
        }
        break;
    }
    if (this.version === 3 && V3_UNSUPPORTED.has(word)) {
      fail(line, word, "OpenQASM 3 beyond the common subset is not supported (qmoe reads qubit/bit declarations, gate definitions, the stdgates.inc gates, measure, reset, barrier, if (c == n) and gphase)");
    }
    this.call(undefined);
  }

  // --- declarations ---
  private declare(quantum: boolean, v2: boolean): void {
    const lex = this.lex;
    let name: string;
    let size = 1;
    let line: number;
    if (v2) {
      line = lex.line;
      name = this.ident('a register name');
      this.expect('[');
      size = this.size();
      this.expect(']');
    } else {
      let scalar = true;
      if (this.accept('[')) {
        size = this.size();
        this.expect(']');
        scalar = false;
      }
      line = lex.line;
      name = this.ident('a register name');
      // OpenQASM 3's `qubit q;` is one qubit, named without an index.
      if (scalar) this.scalars.add(name);
    }
    this.expect(';');
    if (this.qregs.has(name) || this.cregs.has(name)) fail(line, name, 'register already declared');
    if (quantum) {
      if (this.qubits + size > MAX_QUBITS) fail(line, size, `at most ${MAX_QUBITS} qubits in all registers together`);
      this.qregs.set(name, { name, offset: this.qubits, size });
      this.qubits += size;
      for (let i = 0; i < size; i++) {
        this.measured.push(0);
        this.touched.push(false);
      }
    } else {
      this.cregs.set(name, { name, offset: this.clbits, size });
      this.clbits += size;
    }
  }
  private size(): number {
    const { text, line } = this.lex;
    const n = Number(text);
    if (!this.lex.at(NUM) || !/^\d+$/.test(text) || n < 1) fail(line, text, 'register size must be a positive integer');
    this.lex.advance();
    return n;
  }

  // --- gate definitions ---
  private define(opaque: boolean): void {
    const lex = this.lex;
    const line = lex.line;
    const name = this.ident('a gate name');
    const existing = this.templates.get(name);
    if (existing?.user) fail(line, name, 'gate already defined in this file');
    const params: string[] = [];
    if (this.accept('(')) {
      if (!lex.is(')')) {
        do params.push(this.ident('a parameter name')); while (this.accept(','));
      }
      this.expect(')', "')' or ','");
    }
    const qubits: string[] = [];
    do qubits.push(this.ident('a qubit name')); while (this.accept(','));
    const dup = [params, qubits].map((l) => l.find((x, i) => l.indexOf(x) !== i)).find((x) => x !== undefined);
    if (dup !== undefined) fail(line, dup, `names of gate ${name}'s parameters and qubits must differ`);
    if (opaque) {
      this.expect(';');
      this.templates.set(name, { params, qubits: qubits.length, ops: [], opaque: true, user: true });
      return;
    }
    this.expect('{', "'{'");
    const scope = new Map(params.map((p, i) => [p, i]));
    const formal = new Map(qubits.map((q, i) => [q, i]));
    const ops: Template['ops'] = [];
    while (!this.accept('}')) {
      const bline = lex.line;
      if (lex.at(EOF)) fail(bline, 'end of input', `expected '}' to close gate ${name}`);
      const word = this.ident('a gate call in the body');
      if (word === 'barrier') {
        do this.formalQubit(formal, name); while (this.accept(','));
        this.expect(';');
        continue;
      }
      if (word === 'gphase' && this.version === 3) {
        this.expect('(');
        this.exprs.parse(scope);
        this.expect(')');
        this.expect(';');
        continue;
      }
      const callee = this.lookup(word, bline);
      const args = this.angleArgs(word, callee, bline, scope);
      const wires: number[] = [];
      do wires.push(this.formalQubit(formal, name)); while (this.accept(','));
      this.expect(';', "';' or ','");
      if (wires.length !== callee.qubits) fail(bline, wires.length, `${word} takes ${callee.qubits} qubit argument(s)`);
      if (new Set(wires).size !== wires.length) fail(bline, word, `the qubits of ${word} must differ`);
      if (ops.length + callee.ops.length > MAX_GATE_OPS) fail(bline, name, `gate ${name} expands to more than ${MAX_GATE_OPS} gates`);
      for (const op of callee.ops) {
        ops.push({ gate: op.gate, wires: op.wires.map((w) => wires[w]), angle: op.angle && substitute(op.angle, args, bline) });
      }
    }
    this.templates.set(name, { params, qubits: qubits.length, ops, user: true });
  }
  private formalQubit(formal: Map<string, number>, gate: string): number {
    const line = this.lex.line;
    const q = this.ident('a qubit name');
    const i = formal.get(q);
    if (i === undefined) fail(line, q, `not a qubit of gate ${gate} (gate bodies use the gate's qubit names, without indices)`);
    if (this.lex.is('[')) fail(this.lex.line, '[', 'gate bodies use qubit names without indices');
    return i;
  }

  private lookup(name: string, line: number): Template {
    const t = this.templates.get(name);
    if (!t) {
      const known = [...builtinTemplates().keys()].filter((k) => /^[a-z]/.test(k)).sort().join(', ');
      fail(line, name, `unknown gate; define it with 'gate ${name} ...' first, or use a gate of qelib1.inc: ${known}`);
    }
    if (t.opaque) fail(line, name, `gate ${name} is declared opaque (no definition), so it cannot be simulated`);
    return t;
  }

  /** `(expr, ...)` after a gate name, checked against the gate's parameter count. */
  private angleArgs(name: string, t: Template, line: number, scope: ReadonlyMap<string, number>): Expr[] {
    const args: Expr[] = [];
    if (this.accept('(')) {
      if (!this.lex.is(')')) {
        do args.push(this.exprs.parse(scope)); while (this.accept(','));
      }
      this.expect(')', "')' or ','");
    }
    if (args.length !== t.params.length) fail(line, args.length, `${name} takes ${t.params.length} angle argument(s)`);
    return args;
  }

  // --- gate applications ---
  private qarg(): QArg {
    return this.registerArg(this.qregs, this.cregs, 'a qubit register', 'is a classical register; gates need a qreg', 'unknown qubit register');
  }
  /** `name` or `name[i]` of a register in `regs` (index -1 for the whole register). */
  private registerArg(regs: Map<string, QasmRegister>, others: Map<string, QasmRegister>, what: string, isOther: string, unknown: string): QArg {
    const lex = this.lex;
    const line = lex.line;
    const name = this.ident(what);
    const reg = regs.get(name);
    if (!reg) fail(line, name, others.has(name) ? isOther : unknown);
    if (!this.accept('[')) return { reg, index: this.scalars.has(name) ? 0 : -1 };
    const { text, line: iline } = lex;
    if (!lex.at(NUM) || !/^\d+$/.test(text) || Number(text) >= reg.size) {
      fail(iline, `${name}[${text}]`, `index out of range: register ${name} has size ${reg.size} (indices 0 to ${reg.size - 1})`);
    }
    lex.advance();
    this.expect(']');
    return { reg, index: Number(text) };
  }
  private qargs(): QArg[] {
    const args: QArg[] = [];
    do args.push(this.qarg()); while (this.accept(','));
    return args;
  }

  /**
   * OpenQASM 2 broadcasting: every whole-register argument must have the same size m and the call
   * repeats m times, register arguments stepping through their qubits and single-qubit arguments
   * staying fixed. Returns the wires of each repetition.
   */
  private broadcast(args: QArg[], line: number, what: string): number[][] {
    let reps = -1;
    let first: QasmRegister | null = null;
    for (const a of args) {
      if (a.index >= 0) continue;
      if (!first) {
        first = a.reg;
        reps = a.reg.size;
      } else if (a.reg.size !== reps) {
        fail(line, `${first.name}, ${a.reg.name}`, `register arguments of ${what} must have equal sizes (${first.name} has ${reps}, ${a.reg.name} has ${a.reg.size}); index single qubits as ${a.reg.name}[i]`);
      }
    }
    const out: number[][] = [];
    for (let k = 0; k < Math.max(1, reps); k++) out.push(args.map((a) => a.reg.offset + (a.index >= 0 ? a.index : k)));
    return out;
  }

  private call(condition: QasmCondition | undefined): void {
    const lex = this.lex;
    const line = lex.line;
    const name = this.ident('a statement');
    const t = this.lookup(name, line);
    const argExprs = this.angleArgs(name, t, line, NO_SCOPE);
    const values = argExprs.map((e) => (e.k === 'num' ? e.v : NaN));
    values.forEach((v) => {
      if (!Number.isFinite(v)) fail(line, v, 'angle expression must evaluate to a finite number');
    });
    const args = this.qargs();
    this.expect(';', "';' or ','");
    if (args.length !== t.qubits) fail(line, args.length, `${name} takes ${t.qubits} qubit argument(s)`);
    for (const wires of this.broadcast(args, line, name)) {
      for (let i = 0; i < wires.length; i++) {
        for (let j = i + 1; j < wires.length; j++) {
          if (wires[i] === wires[j]) fail(line, this.qubitName(wires[i]), `the qubits of ${name} must differ`);
        }
      }
      this.apply(name, t, values, wires, line, condition);
    }
  }

  /** Lowers one application of `t` to ops, with the parameters and Jacobian entries of its angles. */
  private apply(name: string, t: Template, values: number[], wires: number[], line: number, condition: QasmCondition | undefined): void {
    for (const w of wires) {
      if (this.measured[w] && !this.dynamic) this.dynamic = { line, reason: `${name} on ${this.qubitName(w)} after measure ${this.qubitName(w)} at line ${this.measured[w]}` };
      this.touched[w] = true;
    }
    if (this.ops.length + t.ops.length > MAX_OPS) fail(line, name, `the program expands to more than ${MAX_OPS} gates`);
    if (condition) this.closeRun();
    // Parameters are stored in columns and made objects only when asked for (10 MB files).
    const first = this.params.value.length;
    if (values.length) {
      this.params.apps.push({ gate: name, qubits: wires, names: t.params });
      for (let i = 0; i < values.length; i++) {
        this.params.value.push(values[i]);
        this.params.line.push(line);
        this.params.arg.push(i);
        this.params.app.push(this.params.apps.length - 1);
      }
    }
    let env: Dual[] | null = null;
    const begin = this.ops.length;
    for (const op of t.ops) {
      // A model gate called directly keeps the call's wires.
      const mapped = t.ops.length === 1 && op.wires.every((w, i) => w === i) && op.wires.length === wires.length ? wires : op.wires.map((w) => wires[w]);
      if (!op.angle) {
        this.ops.push({ gate: op.gate, wires: mapped });
      } else if (op.angle.k === 'arg') {
        // The angle is a parameter itself: derivative 1.
        this.ops.push({ gate: op.gate, wires: mapped, angle: { kind: 'const', value: values[op.angle.i] } });
        this.jParam.push(first + op.angle.i);
        this.jCoef.push(1);
      } else {
        env ??= values.map((v, i) => ({ v, d: [first + i, 1] }));
        const a = evaluate(op.angle, env);
        if (!Number.isFinite(a.v)) fail(line, a.v, `the angle of ${op.gate} in ${name} must evaluate to a finite number`);
        this.ops.push({ gate: op.gate, wires: mapped, angle: { kind: 'const', value: a.v } });
        for (let e = 0; e < a.d.length; e += 2) {
          this.jParam.push(a.d[e]);
          this.jCoef.push(a.d[e + 1]);
        }
      }
      this.jStart.push(this.jParam.length);
    }
    this.gateOps.push(t.ops.length);
    if (condition) {
      if (this.ops.length > begin) this.steps.push({ kind: 'gates', start: begin, end: this.ops.length, condition });
      this.runStart = this.ops.length;
    }
  }

  /** Ends the open run of unconditional gates (before a measurement, reset or conditional). */
  private closeRun(): void {
    if (this.ops.length > this.runStart) this.steps.push({ kind: 'gates', start: this.runStart, end: this.ops.length });
    this.runStart = this.ops.length;
  }

  private qubitName(w: number): string {
    for (const r of this.qregs.values()) if (w >= r.offset && w < r.offset + r.size) return this.scalars.has(r.name) ? r.name : `${r.name}[${w - r.offset}]`;
    return `qubit ${w}`;
  }

  // --- measurement, reset, barrier, if ---
  private carg(): QArg {
    return this.registerArg(this.cregs, this.qregs, 'a classical register', 'is a qubit register; measure writes into a creg', 'unknown classical register');
  }

  private measure(condition: QasmCondition | undefined): void {
    const line = this.lex.line;
    const q = this.qarg();
    let c: QArg | null = null;
    if (this.accept('->')) c = this.carg();
    else if (this.version === 2) fail(this.lex.line, this.lex.text, "expected '->' and a classical register after measure q");
    this.expect(';');
    this.measurePairs(q, c, line, condition);
  }
  private measureAssignment(): void {
    const line = this.lex.line;
    const c = this.carg();
    this.expect('=');
    if (!this.accept('measure')) fail(this.lex.line, this.lex.text, "expected 'measure' (the only assignment qmoe reads is c = measure q;)");
    const q = this.qarg();
    this.expect(';');
    this.measurePairs(q, c, line, undefined);
  }
  private measurePairs(q: QArg, c: QArg | null, line: number, condition: QasmCondition | undefined): void {
    if (c && (q.index < 0) !== (c.index < 0)) {
      fail(line, `${q.reg.name}${q.index < 0 ? '' : `[${q.index}]`} -> ${c.reg.name}${c.index < 0 ? '' : `[${c.index}]`}`, 'measure a register into a register or one qubit into one bit');
    }
    if (c && q.index < 0 && q.reg.size !== c.reg.size) {
      fail(line, `${q.reg.name} -> ${c.reg.name}`, `measured registers must have equal sizes (${q.reg.name} has ${q.reg.size}, ${c.reg.name} has ${c.reg.size})`);
    }
    this.closeRun();
    const n = q.index < 0 ? q.reg.size : 1;
    for (let k = 0; k < n; k++) {
      const qubit = q.reg.offset + (q.index < 0 ? k : q.index);
      const clbit = c ? c.reg.offset + (c.index < 0 ? k : c.index) : -1;
      this.steps.push(condition ? { kind: 'measure', qubit, clbit, condition } : { kind: 'measure', qubit, clbit });
      this.measured[qubit] = line;
      this.touched[qubit] = true;
    }
  }

  private reset(condition: QasmCondition | undefined): void {
    const line = this.lex.line;
    const q = this.qarg();
    this.expect(';');
    const n = q.index < 0 ? q.reg.size : 1;
    for (let k = 0; k < n; k++) {
      const qubit = q.reg.offset + (q.index < 0 ? k : q.index);
      // A reset of a qubit nothing has touched yet leaves |0> as it is.
      if (!this.touched[qubit] && !condition) continue;
      if (!this.dynamic) this.dynamic = { line, reason: `reset ${this.qubitName(qubit)} after gates or a measurement on it` };
      this.closeRun();
      this.steps.push(condition ? { kind: 'reset', qubit, condition } : { kind: 'reset', qubit });
      this.measured[qubit] = 0;
    }
  }

  private barrier(): void {
    // Ordering hints only; the arguments must still exist.
    if (!(this.version === 3 && this.lex.is(';'))) this.qargs();
    this.expect(';');
  }

  private conditional(line: number): void {
    this.expect('(');
    const cline = this.lex.line;
    const name = this.ident('a classical register');
    const reg = this.cregs.get(name);
    if (!reg) fail(cline, name, 'if compares a whole classical register: unknown creg');
    if (reg.size > MAX_CONDITION_BITS) fail(cline, name, `if compares a creg of at most ${MAX_CONDITION_BITS} bits`);
    this.expect('==', "'=='");
    const value = this.integer('the value to compare with');
    this.expect(')');
    if (!this.dynamic) this.dynamic = { line, reason: `if (${name}==${value}): an operation conditioned on measured bits` };
    const condition: QasmCondition = { creg: name, offset: reg.offset, size: reg.size, value };
    const word = this.lex.text;
    if (this.lex.at(ID) && word === 'measure') {
      this.lex.advance();
      return this.measure(condition);
    }
    if (this.lex.at(ID) && word === 'reset') {
      this.lex.advance();
      return this.reset(condition);
    }
    this.call(condition);
  }
}

/** Reads an OpenQASM 2 program (or the OpenQASM 3 subset) into a QasmProgram. */
export function readQasmProgram(text: string): QasmProgram {
  if (typeof text !== 'string') throw new QmoeInputError('qasm', text, 'must be a string of OpenQASM 2.0 source');
  const program = new Parser(text, new Map(builtinTemplates())).parse();
  if (program.circuit.qubits === 0) throw new QmoeInputError('qasm', 'no qreg', 'declare at least one qubit with qreg name[size];');
  return program;
}

