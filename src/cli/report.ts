import { existsSync, statSync } from 'node:fs';
import { QmoeFileError, fileErrorReason } from '../errors.js';
import { writeFileAtomic } from '../train/atomic.js';
import { buildReport } from '../experiments/report.js';
import { UsageError, defineCommand, text } from './args.js';

export const REPORT_USAGE = 'usage: qmoe report DIR... [--out FILE] [--title TEXT]';

export const REPORT_HELP = `${REPORT_USAGE}

Gathers result folders written by qmoe ablation, sweep, noise-sweep and quantum-kernel into one
self-contained HTML
page (tables rendered, figures inlined as data: URIs): it opens offline, with no other files.

  --out FILE     the page (default report.html)
  --title TEXT   its title (default "qmoe results")
`;

export const REPORT = defineCommand({
  usage: REPORT_USAGE, help: REPORT_HELP, options: { out: text(), title: text() }, positionals: true,
  async run(values, { command: cmd, positionals }) {
    if (positionals.length === 0) throw new UsageError(`${cmd}: name at least one result folder`, REPORT_USAGE);
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
