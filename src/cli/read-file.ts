import { readFileSync } from 'node:fs';
import { parseQasm } from '../circuit/qasm.js';
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

/** Reads and parses the OpenQASM file an option names; its errors name the file. */
export function readQasmOption(option: string, path: string): Circuit {
  const source = readTextOption(option, path);
  try {
    return parseQasm(source);
  } catch (e) {
    // Name the file in front of "qasm line N: ...".
    if (e instanceof QmoeInputError) e.message = `${path}: ${e.message}`;
    throw e;
  }
}
