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

/**
 * A file or directory that cannot be read or written (missing, a directory, read-only, full, in
 * use by another writer): names the option, the path and why. A QmoeInputError: exit 2 on the CLI.
 */
export class QmoeFileError extends QmoeInputError {
  readonly path: string;
  constructor(argument: string, path: string, why: string) {
    super(argument, path, why);
    this.name = 'QmoeFileError';
    this.path = path;
    this.message = `${argument} ${JSON.stringify(path)}: ${why}`;
  }
}

/** Why a file operation failed, in words (from the error's code: ENOENT, EISDIR, ENOSPC, ...). */
export function fileErrorReason(e: unknown): string {
  const err = e as { code?: string; message?: string } | undefined;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EEXIST':
      return 'already exists';
    default:
      return err?.message ?? String(e);
  }
}

/** Thrown when the GPU cannot do what was asked (no adapter, device lost, a limit of the adapter). */
export class QmoeGpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmoeGpuError';
  }
}

/**
 * Thrown when a GPU buffer cannot be allocated: the driver ran out of memory, or the buffer is over
 * the adapter's limit or the context's allocation cap. Callers that split batches catch it and
 * retry with fewer rows.
 */
export class QmoeGpuMemoryError extends QmoeGpuError {
  /** Bytes of the buffer that failed. */
  readonly bytes: number;
  constructor(message: string, bytes: number) {
    super(message);
    this.name = 'QmoeGpuMemoryError';
    this.bytes = bytes;
  }
}

/** Thrown when a result holds NaN or an infinity: the computation overflowed (or a kernel failed). */
export class QmoeNumericError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmoeNumericError';
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

/**
 * Runs of a study that failed on their workers, or a queue that cannot be reached or was lost:
 * exit 1 on the CLI (2 when every failed run failed on bad input). The finished runs are kept.
 */
export class QmoeJobsError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'QmoeJobsError';
    this.exitCode = exitCode;
  }
}

/** Largest finite float32. */
export const F32_MAX = 3.4028234663852886e38;

/**
 * Throws a QmoeInputError unless every entry of `values` is a finite number within float32's
 * range (what the GPU kernels compute in); `name(i)` names entry i.
 */
export function checkFloat32Range(values: ArrayLike<number> | undefined, name: (i: number) => string): void {
  if (!values) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(Math.abs(v) <= F32_MAX)) throw new QmoeInputError(name(i), v, `the GPU computes in float32: values must be finite and at most ${F32_MAX} in magnitude`);
  }
}

/** Throws a QmoeNumericError naming the first NaN or infinity of a result (`what`, `width` numbers per row). */
export function checkFiniteResult(what: string, values: ArrayLike<number>, width = values.length): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const where = width > 0 && width < values.length ? `[row ${Math.floor(i / width)}, ${i % width}]` : `[${i}]`;
      throw new QmoeNumericError(`${what}${where} is ${values[i]}: the computation overflowed or failed (inputs this large are out of range)`);
    }
  }
}
