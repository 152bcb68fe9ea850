import { parseArgs, type ParseArgsConfig } from 'node:util';

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

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * util.parseArgs in strict mode without positionals; its errors become one-line UsageErrors
 * naming the option, e.g. "unknown option '--foo'".
 */
export function parseOptions<O extends Options>(command: string, args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
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
        throw e;
    }
    throw new UsageError(`${command}: ${message}`, usage);
  }
}
