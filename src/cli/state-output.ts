/**
 * Output of `qmoe simulate` that grows with 2^n: the JSON record and the table of basis states,
 * written in chunks (a 25-qubit state has 33 million probabilities: one string of them would pass
 * V8's string limit, and the table's rows would fill the heap).
 */

/** A number as the commands print it: 10 significant digits, no trailing zeros. */
export function fmt(x: number): string {
  return String(Number(x.toPrecision(10)));
}

/** Where the output goes (process.stdout; a test's collector). */
export interface Sink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Numbers per chunk: about 1 MB of text. */
const CHUNK = 1 << 16;

/** Probabilities below this are left out of the table (unless a shot landed there). */
export const SHOW_MIN = 1e-12;

/** Rows of the table without --all: the most probable states. */
export const TABLE_TOP = 32;

async function put(out: Sink, chunk: string): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
}

/** An array the writer streams (typed arrays and long plain arrays of numbers). */
function isNumberArray(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) || (Array.isArray(v) && v.length > CHUNK && typeof v[0] === 'number');
}

/** JSON's text of one number (null for a non-finite one, as JSON.stringify writes it). */
function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/**
 * Writes `record` as one line of JSON, the same text as JSON.stringify(record) + '\n', with its
 * number arrays (typed arrays) written in chunks of CHUNK numbers as the sink drains.
 */
export async function writeJsonRecord(out: Sink, record: Record<string, unknown>): Promise<void> {
  let head = '{';
  let first = true;
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    head += `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    if (!isNumberArray(value)) {
      head += JSON.stringify(value);
      continue;
    }
    await put(out, head + '[');
    head = '';
    for (let at = 0; at < value.length; at += CHUNK) {
      const end = Math.min(value.length, at + CHUNK);
      let s = at === 0 ? '' : ',';
      for (let k = at; k < end; k++) s += (k === at ? '' : ',') + jsonNumber(value[k]);
      await put(out, s);
    }
    head = ']';
  }
  await put(out, head + '}\n');
}


/** Indices of the `k` largest entries of `p` among `shown(i)`, largest first (ties: lower index first). */
function topEntries(p: ArrayLike<number>, k: number, shown: (i: number) => boolean): number[] {
  const top: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (!shown(i)) continue;
    if (top.length === k && !(p[i] > p[top[k - 1]])) continue;
    let j = top.length;
    while (j > 0 && p[top[j - 1]] < p[i]) j--;
    top.splice(j, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}

/**
 * The table of basis states: `state  probability` (and the shot count), one row per state with
 * probability >= SHOW_MIN (or a shot). At most TABLE_TOP rows, the most probable first, with a
 * note saying how many were left out, unless `all` (every such state in index order, streamed).
 */
export async function writeStateTable(out: Sink, probs: ArrayLike<number>, qubits: number, o: { all: boolean; counts?: ArrayLike<number>; shots?: number }): Promise<void> {
  const counts = o.counts;
  const shown = (k: number) => probs[k] >= SHOW_MIN || (counts !== undefined && counts[k] > 0);
  const w = Math.max(qubits, 'state'.length) + 2;
  const row = (k: number) => `${k.toString(2).padStart(qubits, '0').padEnd(w)}${counts ? `${fmt(probs[k]).padEnd(13)}${counts[k]}` : fmt(probs[k])}\n`;
  let lines = `${'state'.padEnd(w)}probability${counts ? `  count (of ${o.shots})` : ''}\n`;
  let count = 0;
  for (let k = 0; k < probs.length; k++) if (shown(k)) count++;
  const hidden = probs.length - count;
  const below = hidden > 0 ? `(${hidden} of ${probs.length} states below ${SHOW_MIN} not shown)\n` : '';
  if (!o.all && count > TABLE_TOP) {
    for (const k of topEntries(probs, TABLE_TOP, shown)) lines += row(k);
    await put(out, lines + below + `(the ${TABLE_TOP} most probable of ${count} states shown, most probable first; --all lists every state)\n`);
    return;
  }
  let rows = 0;
  for (let k = 0; k < probs.length; k++) {
    if (!shown(k)) continue;
    lines += row(k);
    if (++rows % CHUNK === 0) {
      await put(out, lines);
      lines = '';
    }
  }
  await put(out, lines + below);
}
