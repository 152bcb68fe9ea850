import { parseArgs } from 'node:util';

/** A mistake on the command line (unknown option, missing value, unreadable file): exit code 2. */
export class UsageError extends Error {
  /** Usage line of the subcommand, printed after the message. */
  readonly usage: string | undefined;
  constructor(message: string, usage?: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/** What an option takes; numbers are checked against [min, max] (`above`: min itself excluded). */
export type OptionKind =
  | { kind: 'flag' }
  | { kind: 'text' }
  | { kind: 'int' | 'ints'; min: number; max: number }
  | { kind: 'number' | 'numbers'; min: number; max: number; above?: boolean; what?: string }
  | { kind: 'choice'; choices: readonly string[] };

export const flag = () => ({ kind: 'flag' }) as const;
export const text = () => ({ kind: 'text' }) as const;
/** An integer from min to max. */
export const int = (min: number, max: number) => ({ kind: 'int', min, max }) as const;
/** Comma-separated integers, each from min to max. */
export const ints = (min: number, max: number) => ({ kind: 'ints', min, max }) as const;
/** A decimal number from min (excluded with `o.above`) to max; `o.what` names it in messages ("an error rate"). */
export const num = (min: number, max: number, o: { above?: boolean; what?: string } = {}) => ({ kind: 'number', min, max, ...o }) as const;
/** Comma-separated decimal numbers, each from min to max. */
export const nums = (min: number, max: number, o: { what?: string } = {}) => ({ kind: 'numbers', min, max, ...o }) as const;
export const choice = <const C extends string>(choices: readonly C[]) => ({ kind: 'choice', choices }) as const;

export type OptionTable = Record<string, OptionKind>;

type ValueOf<K extends OptionKind> = K extends { kind: 'flag' }
  ? boolean
  : K extends { kind: 'int' | 'number' }
    ? number
    : K extends { kind: 'ints' | 'numbers' }
      ? number[]
      : K extends { kind: 'choice'; choices: readonly (infer C)[] }
        ? C
        : string;

/** Parsed values: an option that was not given is undefined. */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]?: ValueOf<T[K]> } & { help?: boolean };

/** Decimal numbers only: digits with an optional sign, fraction and exponent (no hex, no "Infinity"). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** A negative number given as an option's value: `--experts -1`. */
const NEGATIVE = /^-(?:\d|\.\d)/;

/** The number a decimal text spells (possibly infinite when it overflows), or undefined. */
export function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  return DECIMAL.test(t) ? Number(t) : undefined;
}

type NumberKind = { kind: string; min: number; max: number; above?: boolean; what?: string };

function describeRange(k: NumberKind): string {
  const what = k.kind === 'int' || k.kind === 'ints' ? 'an integer' : 'a number';
  const limit = k.above ? `must be ${what} > ${k.min} and <= ${k.max}` : `must be ${what} from ${k.min} to ${k.max}`;
  return k.what ? `${k.what} ${limit}` : limit;
}

/** One number of an int/number option, checked against its range; a UsageError naming the option, the value and the limit. */
function numberValue(cmd: string, name: string, raw: string, k: NumberKind, usage: string): number {
  const n = parseDecimal(raw);
  const integer = k.kind === 'int' || k.kind === 'ints';
  const fail = (limit: string) => new UsageError(`${cmd}: --${name} ${JSON.stringify(raw)}: ${limit}`, usage);
  if (n === undefined) throw fail(integer ? 'must be an integer' : 'must be a number (decimal digits, e.g. 0.01 or 1e-3)');
  if (integer && Number.isFinite(n) && !Number.isInteger(n)) throw fail('must be an integer');
  if (!(k.above ? n > k.min : n >= k.min) || !(n <= k.max)) throw fail(describeRange(k));
  return n;
}

function convert(cmd: string, name: string, raw: string | boolean, k: OptionKind, usage: string): unknown {
  switch (k.kind) {
    case 'flag':
    case 'text':
      return raw;
    case 'choice':
      if (!k.choices.includes(raw as string)) throw new UsageError(`${cmd}: --${name} ${JSON.stringify(raw)}: must be ${k.choices.join(', ')}`, usage);
      return raw;
    case 'int':
    case 'number':
      return numberValue(cmd, name, raw as string, k, usage);
    case 'ints':
    case 'numbers': {
      const parts = (raw as string).split(',');
      if (parts.some((p) => parseDecimal(p) === undefined)) {
        const example = k.kind === 'ints' ? '16,8' : '0,0.01,0.05';
        throw new UsageError(`${cmd}: --${name} ${JSON.stringify(raw)}: must be comma-separated ${k.kind === 'ints' ? 'integers' : 'numbers'} from ${k.min} to ${k.max}, e.g. ${example}`, usage);
      }
      return parts.map((p, i) => numberValue(cmd, `${name}[${i}]`, p.trim(), k, usage));
    }
  }
}

/**
 * `--name -1` becomes `--name=-1` for options that take a value, so that util.parseArgs reads
 * a negative number as the value (it would call it ambiguous) and the range check can say why
 * it is refused, or accept it where negative values are valid.
 */
function joinNegativeValues(args: string[], table: OptionTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const kind = a.startsWith('--') && !a.includes('=') ? table[a.slice(2)] : undefined;
    if (kind && kind.kind !== 'flag' && i + 1 < args.length && NEGATIVE.test(args[i + 1])) {
      out.push(`${a}=${args[i + 1]}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/**
 * util.parseArgs in strict mode over an option table (plus --help/-h): values are checked and
 * converted (numbers parsed strictly as decimals, ranges checked, choices matched), and every
 * mistake is a UsageError or QmoeInputError that names the option, e.g. "unknown option '--foo'".
 */
export function parseCommand<T extends OptionTable>(
  command: string,
  args: string[],
  table: T,
  usage: string,
  o: { positionals?: boolean } = {},
): { values: OptionValues<T>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, k] of Object.entries(table)) options[name] = { type: k.kind === 'flag' ? 'boolean' : 'string' };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinNegativeValues(args, table), options, strict: true, allowPositionals: o.positionals === true });
  } catch (e) {
    throw usageFromParseArgs(command, e, usage);
  }
  const values: Record<string, unknown> = { help: parsed.values.help };
  for (const [name, k] of Object.entries(table)) {
    const raw = parsed.values[name];
    if (raw !== undefined) values[name] = convert(command, name, raw, k, usage);
  }
  return { values: values as OptionValues<T>, positionals: parsed.positionals };
}

/** util.parseArgs's errors as one-line UsageErrors naming the option. */
function usageFromParseArgs(command: string, e: unknown, usage: string): unknown {
  const err = e as Error & { code?: string };
  const quoted = /'([^']*)'/.exec(err.message)?.[1];
  let message: string;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      message = `unknown option '${quoted ?? err.message}'`;
      break;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      message = `unexpected argument '${quoted ?? err.message}' (this command takes only options)`;
      break;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // Node's own wording names the option: "Option '--qasm <value>' argument missing".
      message = err.message.split('\n')[0];
      message = message.charAt(0).toLowerCase() + message.slice(1);
      break;
    default:
      return e;
  }
  return new UsageError(`${command}: ${message}`, usage);
}

/** A subcommand: its option table, usage line and help, and what it does with the checked values. */
export interface Command<T extends OptionTable = OptionTable> {
  usage: string;
  help: string;
  options: T;
  /** Takes arguments besides the options (qmoe report DIR...). */
  positionals?: boolean;
  run(values: OptionValues<T>, context: { command: string; args: string[]; positionals: string[] }): Promise<number>;
}

/** A Command with its values' types inferred from its option table. */
export function defineCommand<const T extends OptionTable>(c: Command<T>): Command<T> {
  return c;
}

/** Parses `args` for `qmoe NAME` and runs it; --help prints its help instead. */
export async function runCommand(name: string, c: Command, args: string[]): Promise<number> {
  const command = `qmoe ${name}`;
  const { values, positionals } = parseCommand(command, args, c.options, c.usage, { positionals: c.positionals });
  if (values.help) {
    process.stdout.write(c.help);
    return 0;
  }
  return c.run(values, { command, args, positionals });
}
