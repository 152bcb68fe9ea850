/** Thrown for bad input: names the argument, the value that was given and the limit it broke. */
export class QmoeInputError extends Error {
  readonly argument: string;
  readonly value: unknown;
  readonly limit: string;
  constructor(argument: string, value: unknown, limit: string) {
    super(`${argument}: ${describe(value)} is invalid; ${limit}`);
    this.name = 'QmoeInputError';
    this.argument = argument;
    this.value = value;
    this.limit = limit;
  }
}

/** Thrown when the GPU cannot do what was asked (no adapter, device lost, a limit of the adapter). */
export class QmoeGpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmoeGpuError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) return String(value);
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInt(argument: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new QmoeInputError(argument, value, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Throws unless `value` is a finite number. */
export function checkFinite(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new QmoeInputError(argument, value, 'must be a finite number');
  }
  return value;
}
