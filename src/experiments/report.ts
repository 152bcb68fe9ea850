import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { findResults } from './results-summary.js';
import { QmoeFileError, QmoeInputError, fileErrorReason } from '../errors.js';

/**
 * One self-contained HTML page from result folders (written by qmoe ablation, sweep, noise-sweep,
 * quantum-kernel):
 * their Markdown tables rendered to HTML and every figure inlined as a data: URI, so the page
 * opens offline and can be mailed as one file. The Markdown is the subset our writers produce
 * (headings, paragraphs, lists, code blocks, pipe tables, images of files in the folder).
 */
export function buildReport(dirs: string[], title = 'qmoe results'): string {
  if (dirs.length === 0) throw new QmoeInputError('DIR', '(none)', 'name at least one result folder');
  const sections: string[] = [];
  for (const { dir, label } of expandDirs(dirs, sections)) {
    const parts: string[] = [];
    for (const name of ['ablation.md', 'sweep.md', 'noise.md']) {
      const p = join(dir, name);
      if (existsSync(p)) parts.push(markdownToHtml(readFileSync(p, 'utf8'), dir));
    }
    // kernel.json: what qmoe 0.1 called quantum-kernel.json.
    const k = ['quantum-kernel', 'kernel'].find((name) => existsSync(join(dir, `${name}.json`)));
    if (k) {
      const j = readJson(join(dir, `${k}.json`));
      parts.push(
        markdownToHtml(
          [
            `# Quantum kernel: ${j.dataset?.name}, preset \`${j.preset}\``,
            '',
            '```',
            j.command ?? '',
            '```',
            '',
            `- Embedding ${j.embedding}, ${j.qubits} qubits, ${j.points} test points ordered by class; ${j.adapter}.`,
            `- Mean K within class 0: ${j.means.within0.toFixed(4)}; within class 1: ${j.means.within1.toFixed(4)}; between classes: ${j.means.between.toFixed(4)}.`,
            ...(j.rank ? [`- Rank of the Gram matrix: ${j.rank.numerical} (eigenvalues above ${j.rank.tolerance} of the largest); bound min(points, 3^features) = ${j.rank.bound}: K(x, x') = prod_i (1 + cos x_i cos x'_i + sin x_i sin x'_i) / 2 is an inner product of 3^n features.`] : []),
            `- Largest deviation from the closed form prod cos^2((x_i - x'_i)/2): ${Number(j.maxErrorVsClosedForm).toExponential(2)}.`,
            '',
            `![quantum kernel](${k}.png)`,
          ].join('\n'),
          dir,
        ),
      );
    }
    if (parts.length === 0) throw new QmoeInputError('DIR', dir, 'holds no ablation.md, sweep.md, noise.md or quantum-kernel.json (is it a qmoe result folder?)');
    sections.push(`<section><p class="dir">${escapeHtml(label)}</p>\n${parts.join('\n')}</section>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #bbb;padding:4px 8px;text-align:left}
th{background:#f0f0f0}pre{background:#f6f6f6;padding:0.6em;overflow-x:auto}img{max-width:100%;margin:0.5em 0.5em 0 0}
section{border-top:2px solid #888;margin-top:2em}.dir{color:#888;font-size:0.85em}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${sections.join('\n')}
</body></html>
`;
}

const RESULT_FILES = ['ablation.md', 'sweep.md', 'noise.md', 'quantum-kernel.json', 'kernel.json'];

/**
 * The result folders of `dirs`: a folder that holds no result of its own but result folders below
 * it (such as results/) stands for them, and its README.md (with the generated summary tables)
 * opens its part of the page, so that one command shows all of it.
 */
function expandDirs(dirs: string[], sections: string[]): { dir: string; label: string }[] {
  const out: { dir: string; label: string }[] = [];
  for (const dir of dirs) {
    const name = basename(resolve(dir));
    if (RESULT_FILES.some((f) => existsSync(join(dir, f))) || !existsSync(dir) || !statSync(dir).isDirectory()) {
      out.push({ dir, label: name });
      continue;
    }
    // Labelled by their path below `dir` (results/gpu-h200/moons-paper is not results/moons-paper).
    const found = [...new Set(findResults(dir).map((r) => dirname(r.path)))].map((rel) => ({ dir: join(dir, rel), label: join(name, rel) }));
    if (found.length === 0) {
      out.push({ dir, label: name });
      continue;
    }
    const readme = join(dir, 'README.md');
    if (existsSync(readme)) sections.push(`<section><p class="dir">${escapeHtml(basename(resolve(dir)))}/README.md</p>\n${markdownToHtml(readFileSync(readme, 'utf8'), dir)}</section>`);
    out.push(...found);
  }
  return out;
}

/** A quantum-kernel summary: its JSON, with the fields the page shows; errors name the file and the field. */
function readJson(path: string): { dataset?: { name?: string }; preset: string; command?: string; embedding: string; qubits: number; points: number; adapter: string; means: { within0: number; within1: number; between: number }; rank?: { numerical: number; bound: number; tolerance: number }; maxErrorVsClosedForm: number } {
  let j;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new QmoeFileError('DIR', path, `is not readable JSON (${e instanceof SyntaxError ? e.message : fileErrorReason(e)})`);
  }
  for (const field of ['within0', 'within1', 'between']) {
    if (typeof j?.means?.[field] !== 'number') throw new QmoeInputError(`${path}: means.${field}`, j?.means?.[field], 'must be a number (is this a quantum-kernel.json of qmoe?)');
  }
  return j;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function inline(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '$1');
}

/** Renders our Markdown subset; images of files in `dir` become data: URIs. */
export function markdownToHtml(md: string, dir: string): string {
  const out: string[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('```')) {
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) code.push(lines[i]);
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
    } else if (/^#{1,6} /.test(line)) {
      const level = Math.min(6, line.indexOf(' ') + 1);
      out.push(`<h${level}>${inline(line.slice(level))}</h${level}>`);
    } else if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i].slice(1, -1).split('|').map((c) => c.trim()));
      i--;
      const body = rows.filter((r, k) => k !== 1 || !r.every((c) => /^-+$/.test(c)));
      out.push(
        '<table>' +
          body.map((r, k) => `<tr>${r.map((c) => (k === 0 ? `<th>${inline(c)}</th>` : `<td>${inline(c)}</td>`)).join('')}</tr>`).join('\n') +
          '</table>',
      );
    } else if (line.startsWith('- ')) {
      const items: string[] = [];
      for (; i < lines.length && lines[i].startsWith('- '); i++) items.push(`<li>${inline(lines[i].slice(2))}</li>`);
      i--;
      out.push(`<ul>${items.join('')}</ul>`);
    } else if (/^!\[[^\]]*\]\([^)]+\)$/.test(line.trim())) {
      const imgs: string[] = [];
      for (; i < lines.length && /^!\[[^\]]*\]\([^)]+\)$/.test(lines[i].trim()); i++) {
        const m = /^!\[([^\]]*)\]\(([^)]+)\)$/.exec(lines[i].trim())!;
        imgs.push(imageTag(m[1], join(dir, m[2])));
      }
      i--;
      out.push(`<div>${imgs.join('\n')}</div>`);
    } else if (line.trim() !== '') {
      out.push(`<p>${inline(line)}</p>`);
    }
  }
  return out.join('\n');
}

function imageTag(alt: string, path: string): string {
  if (!existsSync(path)) return `<p>(missing figure ${escapeHtml(basename(path))})</p>`;
  const type = path.endsWith('.svg') ? 'image/svg+xml' : 'image/png';
  return `<img alt="${escapeHtml(alt)}" src="data:${type};base64,${readFileSync(path).toString('base64')}">`;
}
