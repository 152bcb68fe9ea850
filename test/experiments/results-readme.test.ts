import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/experiments/report.js';
import { SUMMARY_BEGIN, SUMMARY_END, resultsSummary, summaryBlock } from '../../src/experiments/results-summary.js';
import { root, runQmoe } from '../helpers/cli.js';

/**
 * results/README.md is checked against the JSON files beside it: its summary tables must be the
 * ones `qmoe report results --summary results/README.md` makes from them, and every decimal
 * number of its prose must be one of the summary's (so each can be found in a named JSON file).
 */
const results = join(root, 'results');
const readme = readFileSync(join(results, 'README.md'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'qmoe-results-readme-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The README without the summary, code blocks and inline code (commands, paths). */
function prose(md: string): string {
  const block = summaryBlock(md) ?? '';
  return md.replace(block, '').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
}

describe('results/README.md', () => {
  it('carries the summary that the JSON files beside it give, verbatim', () => {
    const block = summaryBlock(readme);
    expect(block, 'results/README.md has no generated summary (qmoe report results --summary results/README.md)').not.toBeNull();
    expect(block).toBe(resultsSummary(results));
  });

  it('every JSON file the summary names exists', () => {
    const files = [...summaryBlock(readme)!.matchAll(/^\| `([^`]+\.json)` \|/gm)].map((m) => m[1]);
    expect(files.length).toBeGreaterThan(10);
    for (const f of new Set(files)) expect(existsSync(join(results, f)), f).toBe(true);
  });

  it('every decimal number of the prose is a number of the summary', () => {
    const block = summaryBlock(readme)!;
    const tokens = new Set(block.match(/\d+\.\d+(e-?\d+)?/g));
    const missing = [...new Set(prose(readme).match(/\d+\.\d+(e-?\d+)?/g) ?? [])].filter((n) => !tokens.has(n));
    expect(missing, 'numbers in results/README.md that no summary table (no JSON file) holds').toEqual([]);
  });

  it('the check can fail: a number changed in the prose or the summary is found', () => {
    const block = summaryBlock(readme)!;
    const changed = readme.replace(block, block.replace(/\d+\.\d\d/, '123.45'));
    expect(summaryBlock(changed)).not.toBe(resultsSummary(results));
    expect(prose(`${readme}\nB reaches 123.456% here.`).match(/\d+\.\d+/g)).toContain('123.456');
  });
});

/** A results folder of one noise sweep (a copy of results/noise-paper) with a README of one line of prose. */
function folderOfFolders(): { dir: string; md: string } {
  const dir = join(tmp, 'results');
  const md = join(dir, 'README.md');
  if (!existsSync(md)) {
    mkdirSync(join(dir, 'noise'), { recursive: true });
    cpSync(join(results, 'noise-paper'), join(dir, 'noise'), { recursive: true });
    writeFileSync(md, '# Our results\n\nProse before.\n');
  }
  return { dir, md };
}

describe('qmoe report --summary and a folder of folders', () => {
  it('writes the block into a Markdown file, replaces it on the next run, and keeps the rest', async () => {
    const { dir, md } = folderOfFolders();
    for (let k = 0; k < 2; k++) {
      const r = await runQmoe(['report', dir, '--summary', md], 60_000);
      expect(r.code, r.stderr).toBe(0);
    }
    const text = readFileSync(md, 'utf8');
    expect(text.startsWith('# Our results\n\nProse before.\n')).toBe(true);
    expect(text.split(SUMMARY_BEGIN)).toHaveLength(2);
    expect(text).toContain(SUMMARY_END);
    expect(summaryBlock(text)).toBe(resultsSummary(dir));
    expect(text).toMatch(/\| `noise\/noise\.json` \| paper, pennylane \| 12 \| 20 \|/);

    const bad = await runQmoe(['report', dir, join(dir, 'noise'), '--summary', md], 60_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--summary takes one folder/);
  });

  it('qmoe report of a folder of result folders puts its README and every folder on the page', () => {
    const html = buildReport([folderOfFolders().dir]);
    expect(html).toContain('README.md');
    expect(html).toContain('Prose before.');
    expect(html).toContain('Noise robustness (Table II)');
    expect(html).toMatch(/<img alt="accuracy vs error rate" src="data:image\/png;base64,/);
  });
});
