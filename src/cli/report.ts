import { existsSync, readFileSync, statSync } from 'node:fs';
import { QmoeFileError, fileErrorReason } from '../errors.js';
import { writeFileAtomic } from '../train/atomic.js';
import { buildReport } from '../experiments/report.js';
import { SUMMARY_BEGIN, resultsSummary, summaryBlock } from '../experiments/results-summary.js';
import { UsageError, defineCommand, text } from './args.js';

export const REPORT_USAGE = 'usage: qmoe report DIR... [--out FILE] [--title TEXT] | qmoe report DIR --summary README.md';

export const REPORT_HELP = `${REPORT_USAGE}

Gathers result folders written by qmoe ablation, sweep, noise-sweep and quantum-kernel into one
self-contained HTML
page (tables rendered, figures inlined as data: URIs): it opens offline, with no other files.
A DIR that holds result folders (e.g. results/) stands for all of them, opened by its README.md:
'qmoe report results --out report.html' puts every table and figure on one page.

  --out FILE     the page (default report.html)
  --title TEXT   its title (default "qmoe results")
  --summary FILE instead of the page: the summary tables of every result under DIR (Table I, the
                 paired tests, the claims, Table II, Fig. 2, the kernel; each row names its JSON
                 file) written into the Markdown FILE between its summary markers (appended when it
                 has none); results/README.md is kept this way, and a test checks it against the
                 JSON files
`;

export const REPORT = defineCommand({
  usage: REPORT_USAGE, help: REPORT_HELP, options: { out: text(), title: text(), summary: text() }, positionals: true,
  async run(values, { command: cmd, positionals }) {
    if (positionals.length === 0) throw new UsageError(`${cmd}: name at least one result folder`, REPORT_USAGE);
    if (values.summary !== undefined) return writeSummary(positionals, values.summary, cmd);
    const out = values.out ?? 'report.html';
    if (existsSync(out) && statSync(out).isDirectory()) throw new QmoeFileError('--out', out, 'is a directory; name the HTML file to write, e.g. --out report.html');
    const html = buildReport(positionals, values.title);
    try {
      writeFileAtomic(out, html);
    } catch (e) {
      throw new QmoeFileError('--out', out, `cannot write the file (${fileErrorReason(e)})`);
    }
    process.stdout.write(`wrote ${out} (${(html.length / 1024).toFixed(0)} KiB, ${positionals.length} folder(s))\n`);
    return 0;
  },
});

/** Replaces (or appends) the generated summary block of a Markdown file with DIR's tables. */
function writeSummary(dirs: string[], file: string, cmd: string): number {
  if (dirs.length !== 1) throw new UsageError(`${cmd}: --summary takes one folder (e.g. results), not ${dirs.length}`, REPORT_USAGE);
  const table = resultsSummary(dirs[0]);
  let text = '';
  if (existsSync(file)) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new QmoeFileError('--summary', file, `cannot read the file (${fileErrorReason(e)})`);
    }
  }
  const old = summaryBlock(text);
  const next = old !== null ? text.replace(old, table) : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}\n${table}\n`;
  if (old === null && text.includes(SUMMARY_BEGIN)) throw new QmoeFileError('--summary', file, 'has the summary\'s first marker but not its last; fix the file by hand');
  try {
    writeFileAtomic(file, next);
  } catch (e) {
    throw new QmoeFileError('--summary', file, `cannot write the file (${fileErrorReason(e)})`);
  }
  process.stdout.write(`wrote the summary of ${dirs[0]} into ${file}\n`);
  return 0;
}
