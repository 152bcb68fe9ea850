import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src/: no import cycle, and nothing outside src/cli imports src/cli (the library
 * must not depend on the command line). Every relative import counts: static, `import type`,
 * `export ... from` and dynamic `import('...')`.
 */
const src = resolve(fileURLToPath(new URL('../src', import.meta.url)));

/**
 * Cycles another change removes; each entry is one strongly connected component, its files
 * sorted, relative to src/. Delete an entry once its cycle is gone.
 */
/** Cycles allowed for now (none: keep it that way). */
const KNOWN_CYCLES = new Set<string>();

/**
 * The source with comments removed and template literals emptied (help texts quote import
 * lines), quoted strings kept: what the import patterns below read.
 */
function codeOnly(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (two === '//') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (two === '/*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && !(c !== '`' && text[j] === '\n')) j += text[j] === '\\' ? 2 : 1;
      out += c === '`' ? '``' : text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Relative module specifiers of a TypeScript source. */
export function importSpecifiers(text: string): string[] {
  const code = codeOnly(text);
  const found: string[] = [];
  // import x from '...'; import { a, b } from '...'; import type ...; import '...'; export * from '...'; export { a } from '...'
  const statement = /(?:^|[;}\n])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]*?\s*from\s*)?['"]([^'"\n]+)['"]/g;
  const dynamic = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;
  for (const m of code.matchAll(statement)) found.push(m[1]);
  for (const m of code.matchAll(dynamic)) found.push(m[1]);
  return found.filter((s) => s.startsWith('.'));
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** file -> files it imports (absolute paths); an import that names no file of src/ is an error. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(src)) {
    const targets = importSpecifiers(readFileSync(file, 'utf8')).map((spec) => {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) throw new Error(`${relative(src, file)}: import '${spec}' names no file (${relative(src, target)})`);
      return target;
    });
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(relative(src, w));
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the import graph of src/', () => {
  it('reads every form of import and export', () => {
    const text = [
      "import { a, type B } from './a.js';",
      "import type { C } from '../c.js';",
      "import D from './d.js'; import * as E from './e.js';",
      "import {\n  f,\n  g,\n} from './fg.js';",
      "import './side-effect.js';",
      "export { h } from './h.js';",
      "export * from './star.js';",
      "export type { I } from './i.js';",
      "const j = await import('./j.js');",
      "import { k } from 'node:fs'; // import { l } from './commented.js';",
      "/* import { m } from './block.js'; */",
      "const help = `\\nimport { o } from './in-a-template.js';\\n`;",
      "const s = 'a string with // in it'; import { n } from './n.js';",
    ].join('\n');
    expect(importSpecifiers(text).sort()).toEqual(['../c.js', './a.js', './d.js', './e.js', './fg.js', './h.js', './i.js', './j.js', './n.js', './side-effect.js', './star.js'].sort());
  });

  const graph = importGraph();

  it('finds the files and their imports', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get(join(src, 'cli', 'main.ts'))).toContain(join(src, 'errors.ts'));
  });

  it('has no import cycle', () => {
    const found = cycles(graph).map((c) => c.join(' '));
    expect(found.filter((c) => !KNOWN_CYCLES.has(c))).toEqual([]);
  });

  it('detects a cycle when there is one', () => {
    const a = join(src, 'a.ts');
    const b = join(src, 'b.ts');
    expect(cycles(new Map([[a, [b]], [b, [a]]]))).toEqual([['a.ts', 'b.ts']]);
    expect(cycles(new Map([[a, [b]], [b, []]]))).toEqual([]);
  });

  it('has no import of src/cli from outside src/cli', () => {
    const cli = join(src, 'cli');
    const bad: string[] = [];
    for (const [file, targets] of graph) {
      if (file.startsWith(cli + '/')) continue;
      for (const t of targets) if (t.startsWith(cli + '/')) bad.push(`${relative(src, file)} -> ${relative(src, t)}`);
    }
    expect(bad).toEqual([]);
  });
});
