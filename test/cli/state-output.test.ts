import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TABLE_TOP, writeJsonRecord, writeStateTable, type Sink } from '../../src/cli/state-output.js';
import { runQmoe } from '../helpers/cli.js';

/** A sink that keeps the chunks and, like a full pipe, asks the writer to wait for 'drain' now and then. */
function collector(): Sink & { chunks: string[]; text(): string; waits: number } {
  const chunks: string[] = [];
  let drain: (() => void) | undefined;
  const sink = {
    chunks,
    waits: 0,
    text: () => chunks.join(''),
    write(chunk: string) {
      chunks.push(chunk);
      if (chunks.length % 3 !== 0) return true;
      setTimeout(() => drain?.(), 0);
      return false;
    },
    once(_event: 'drain', listener: () => void) {
      sink.waits++;
      drain = listener;
      return sink;
    },
  };
  return sink;
}

describe('streamed simulate output', () => {
  it('writes JSON.stringify’s text, typed arrays included, in bounded chunks', async () => {
    const small = collector();
    const record = { qubits: 2, probabilities: Float64Array.from([0.5, 0, -0, 0.5]), backend: 'cpu', adapter: null, experts: [1, NaN], none: undefined, f32: Float32Array.from([0.1]) };
    await writeJsonRecord(small, record);
    const plain = { ...record, probabilities: Array.from(record.probabilities), f32: Array.from(record.f32) };
    expect(small.text()).toBe(JSON.stringify(plain) + '\n');

    const n = 2 ** 20 + 3;
    const p = new Float64Array(n);
    for (let k = 0; k < n; k++) p[k] = k % 7 === 0 ? 0 : 1 / (k + 1);
    const big = collector();
    await writeJsonRecord(big, { qubits: 20, probabilities: p, counts: Int32Array.from({ length: 5 }, (_, k) => k), backend: 'cpu' });
    expect(big.chunks.length).toBeGreaterThan(16);
    expect(Math.max(...big.chunks.map((c) => c.length))).toBeLessThan(2 ** 21);
    expect(big.waits).toBeGreaterThan(0);
    const back = JSON.parse(big.text());
    expect(back.probabilities).toHaveLength(n);
    expect(back.probabilities).toEqual(Array.from(p));
    expect(back.counts).toEqual([0, 1, 2, 3, 4]);
    expect(back.backend).toBe('cpu');
  });

  it('prints the most probable states with a note, or every state with all', async () => {
    const probs = new Float64Array(256);
    for (let k = 0; k < 256; k++) probs[k] = k === 3 ? 0 : (k % 50) + 1;
    const top = collector();
    await writeStateTable(top, probs, 8, { all: false });
    const lines = top.text().trimEnd().split('\n');
    expect(lines[0]).toBe('state     probability');
    const rows = lines.slice(1, 1 + TABLE_TOP).map((l) => l.split(/\s+/));
    expect(rows.map((r) => Number(r[1]))).toEqual([...rows.map((r) => Number(r[1]))].sort((a, b) => b - a));
    expect(rows[0]).toEqual(['00110001', '50']); // 49: the first of the largest, by index
    expect(lines.at(-2)).toBe('(1 of 256 states below 1e-12 not shown)');
    expect(lines.at(-1)).toBe(`(the ${TABLE_TOP} most probable of 255 states shown, most probable first; --all lists every state)`);

    const all = collector();
    await writeStateTable(all, probs, 8, { all: true, counts: Int32Array.from({ length: 256 }, (_, k) => (k === 3 ? 2 : 0)), shots: 2 });
    const allLines = all.text().trimEnd().split('\n');
    expect(allLines).toHaveLength(1 + 256);
    expect(allLines[0]).toBe('state     probability  count (of 2)');
    expect(allLines[4]).toBe('00000011  0            2'); // shown for its shots
  });
});

const dir = mkdtempSync(join(tmpdir(), 'qmoe-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qmoe simulate of a large state', () => {
  it('streams 2^20 probabilities as JSON that parses back, and prints the top of the table', async () => {
    const qasm = join(dir, 'h20.qasm');
    const n = 20;
    writeFileSync(qasm, `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[${n}];\n${Array.from({ length: n }, (_, i) => (i === 0 ? 'ry(0.3) q[0];' : `h q[${i}];`)).join('\n')}\n`);
    const r = await runQmoe(['simulate', '--qasm', qasm, '--backend', 'cpu', '--json'], 120_000);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.qubits).toBe(n);
    expect(out.probabilities).toHaveLength(2 ** n);
    const c = Math.cos(0.15) ** 2 / 2 ** (n - 1);
    const s = Math.sin(0.15) ** 2 / 2 ** (n - 1);
    for (const k of [0, 1, 2 ** 19 - 1, 2 ** 19, 2 ** 20 - 1]) expect(out.probabilities[k]).toBeCloseTo(k < 2 ** 19 ? c : s, 15);
    const table = await runQmoe(['simulate', '--qasm', qasm, '--backend', 'cpu'], 120_000);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`\\(the ${TABLE_TOP} most probable of 1048576 states shown`));
    expect(table.stdout.split('\n').filter((l) => /^[01]{20} /.test(l))).toHaveLength(TABLE_TOP);
  });
});
