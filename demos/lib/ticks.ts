/**
 * Round axis ticks: steps of 1, 2 or 5 times a power of ten, about `target` of them inside
 * [lo, hi] (e.g. 0, 0.2, 0.4 or 20, 40, 60 rather than 0.26, 0.53 or 1, 18, 35).
 */
export function niceTicks(lo: number, hi: number, target = 5, options: { integer?: boolean } = {}): { values: number[]; step: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { values: [], step: 1 };
  if (!(hi > lo)) return { values: [lo], step: 1 };
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  let step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  if (options.integer) step = Math.max(1, Math.round(step));
  const first = Math.ceil(lo / step - 1e-9);
  const values: number[] = [];
  for (let k = first; k * step <= hi + step * 1e-9; k++) values.push(Number((k * step).toPrecision(12)));
  return { values, step };
}

/** A tick's text with as many decimals as its step needs (0.2 -> "0.2", 5 -> "5", 0.05 -> "0.05"). */
export function tickText(v: number, step: number, percent = false): string {
  if (percent) {
    const d = Math.max(0, -Math.floor(Math.log10(step * 100) + 1e-9));
    return `${(100 * v).toFixed(d)}%`;
  }
  const d = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const t = v.toFixed(d);
  return t === '-0' ? '0' : t.replace(/^-0(\.0+)?$/, '0');
}
