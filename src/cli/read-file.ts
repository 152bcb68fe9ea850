import { readFileSync } from 'node:fs';
import { parseQasm, parseQasmProgram, type QasmProgram } from '../circuit/qasm.js';
import type { Circuit } from '../circuit/types.js';
import { QmoeFileError, QmoeInputError, fileErrorReason } from '../errors.js';

/** The text of the file an option names; a QmoeFileError naming the option and the file otherwise. */
export function readTextOption(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new QmoeFileError(option, path, `cannot read the file (${fileErrorReason(e)})`);
  }
}

/**
 * Runs `fn`, naming the file `path` in front of the message of any QmoeInputError it throws or,
 * for a promise, rejects with ("F: qasm line N: ...").
 */
export function namingFile<T>(path: string, fn: () => T): T {
  const name = (e: unknown): never => {
    if (e instanceof QmoeInputError) e.message = `${path}: ${e.message}`;
    throw e;
  };
  try {
    const result = fn();
    return (result instanceof Promise ? result.catch(name) : result) as T;
  } catch (e) {
    return name(e);
  }
}

/** Reads and parses the OpenQASM file an option names; its errors name the file. */
export function readQasmOption(option: string, path: string): Circuit {
  const source = readTextOption(option, path);
  return namingFile(path, () => parseQasm(source));
}

/** Reads the OpenQASM file an option names as a program (its circuit, file angles, mid-circuit operations); its errors name the file. */
export function readQasmProgramOption(option: string, path: string): QasmProgram {
  const source = readTextOption(option, path);
  return namingFile(path, () => parseQasmProgram(source));
}

