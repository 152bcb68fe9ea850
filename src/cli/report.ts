import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../train/atomic.js';
import { buildReport } from '../experiments/report.js';
import { UsageError } from './args.js';

export const REPORT_USAGE = 'usage: qmoe report DIR... [--out FILE] [--title TEXT]';

export const REPORT_HELP = `${REPORT_USAGE}

Gathers result folders written by qmoe ablation, sweep and kernel into one self-contained HTML
page (tables rendered, figures inlined as data: URIs): it opens offline, with no other files.

  --out FILE     the page (default report.html)
  --title TEXT   its title (default "qmoe results")
`;

export async function reportCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { out: { type: 'string' }, title: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`qmoe report: ${(e as Error).message.split('\n')[0]}`, REPORT_USAGE);
  }
  if (parsed.values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (parsed.positionals.length === 0) throw new UsageError('qmoe report: name at least one result folder', REPORT_USAGE);
  const out = parsed.values.out ?? 'report.html';
  const html = buildReport(parsed.positionals, parsed.values.title);
  writeFileAtomic(out, html);
  process.stdout.write(`wrote ${out} (${(html.length / 1024).toFixed(0)} KiB, ${parsed.positionals.length} folder(s))\n`);
  return 0;
}
