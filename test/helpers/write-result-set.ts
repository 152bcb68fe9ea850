/**
 * A result-set writer in its own process, for the tests of src/train/result-set.ts: writes the
 * set SET_FILES into DIR with the content "TAG NAME" (QMOE_TEST_WRITE_HOOK can kill or pause it).
 * Usage: node --import tsx test/helpers/write-result-set.ts DIR TAG
 */
import { openResultDir } from '../../src/train/result-set.js';

export const SET_FILES = ['a.json', 'b.json', 'c.png', 'd.svg'];

const [dir, tag] = process.argv.slice(2);
if (dir && tag) {
  const out = openResultDir(dir, { argument: '--out', bytes: 0, command: `write-result-set ${tag}` });
  try {
    out.commit(SET_FILES.map((name) => [name, `${tag} ${name}\n`]), SET_FILES);
  } finally {
    out.release();
  }
}
