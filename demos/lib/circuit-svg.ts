import type { Angle, Circuit, Op } from '../../src/circuit/types.js';

/**
 * An SVG diagram of a circuit, drawn from its ops, in two parts with the same rows: `gates`, one
 * horizontal wire per qubit (qubit 0 on top), gates packed into columns as early as their wires
 * allow, rotation boxes labeled with their angle source (x_i an input feature, θ_k a trainable
 * parameter), CZ as two joined dots, CNOT as a dot and ⊕; and `measure`, the meters, so a page
 * can scroll a long circuit while its measurement stays in view. With `params`, each θ box's
 * tooltip shows its current value.
 */
export function circuitSvg(circuit: Circuit, options: { params?: ArrayLike<number>; measure?: string } = {}): { gates: string; measure: string } {
  const n = circuit.qubits;
  const colW = 44, rowH = 46, left = 44, top = 18;
  const free = new Array<number>(n).fill(0);
  const placed: { op: Op; col: number }[] = [];
  for (const op of circuit.ops) {
    const lo = Math.min(...op.wires), hi = Math.max(...op.wires);
    let col = 0;
    for (let q = lo; q <= hi; q++) col = Math.max(col, free[q]);
    for (let q = lo; q <= hi; q++) free[q] = col + 1;
    placed.push({ op, col });
  }
  const cols = Math.max(0, ...free);
  const width = left + cols * colW + 16;
  const height = top + n * rowH;
  const y = (q: number) => top + q * rowH + rowH / 2 - 8;
  const x = (c: number) => left + c * colW + colW / 2;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const angleText = (a: Angle | undefined): { text: string; title: string; kind: string } => {
    if (!a) return { text: '', title: '', kind: 'const' };
    if (a.kind === 'feature') return { text: `x${sub(a.index)}`, title: `input feature ${a.index}`, kind: 'feature' };
    if (a.kind === 'param') {
      const v = options.params?.[a.index];
      return { text: `θ${sub(a.index)}`, title: `trainable parameter ${a.index}${v === undefined ? '' : ` = ${v.toFixed(4)}`}`, kind: 'param' };
    }
    return { text: +a.value.toFixed(3) + '', title: `constant ${a.value}`, kind: 'const' };
  };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="circuit" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="router circuit: ${n} qubits, ${circuit.ops.length} gates">`);
  const style = `<style>.w{stroke:#444;stroke-width:1.2}.g{fill:#fff;stroke:#333;stroke-width:1.2}.g.feature{fill:#e8f1fb}.g.param{fill:#fff3e0}.t{font:12px system-ui,sans-serif;text-anchor:middle;dominant-baseline:central}.s{font-size:10px}.c{fill:#333}</style>`;
  parts.push(style);
  for (let q = 0; q < n; q++) {
    parts.push(`<text class="t" x="16" y="${y(q)}">q${sub(q)}</text>`);
    parts.push(`<line class="w" x1="${left - 10}" x2="${width}" y1="${y(q)}" y2="${y(q)}"/>`);
  }
  for (const { op, col } of placed) {
    const cx = x(col);
    const w = op.wires;
    const gate = op.gate;
    if (w.length === 2 || w.length === 3) {
      parts.push(`<line class="w" x1="${cx}" x2="${cx}" y1="${y(Math.min(...w))}" y2="${y(Math.max(...w))}"/>`);
    }
    if (gate === 'cz') {
      for (const q of w) parts.push(`<circle class="c" cx="${cx}" cy="${y(q)}" r="4"/>`);
      continue;
    }
    if (gate === 'cnot') {
      parts.push(`<circle class="c" cx="${cx}" cy="${y(w[0])}" r="4"/>`);
      parts.push(`<circle cx="${cx}" cy="${y(w[1])}" r="9" fill="#fff" stroke="#333" stroke-width="1.2"/><line class="w" x1="${cx - 9}" x2="${cx + 9}" y1="${y(w[1])}" y2="${y(w[1])}"/><line class="w" x1="${cx}" x2="${cx}" y1="${y(w[1]) - 9}" y2="${y(w[1]) + 9}"/>`);
      continue;
    }
    if (gate === 'swap') {
      for (const q of w) parts.push(`<path d="M${cx - 5} ${y(q) - 5}l10 10M${cx + 5} ${y(q) - 5}l-10 10" stroke="#333" stroke-width="1.5"/>`);
      continue;
    }
    const target = w[w.length - 1];
    if (w.length === 2) parts.push(`<circle class="c" cx="${cx}" cy="${y(w[0])}" r="4"/>`);
    const a = angleText(op.angle);
    const name = gate.replace(/^c(?=r)/, '').toUpperCase();
    const label = `${gate.toUpperCase()} on q${target}`;
    const param = op.angle?.kind === 'param' ? ` data-param="${op.angle.index}" data-label="${esc(label)}"` : '';
    parts.push(`<g${param}><title>${esc(`${label}${a.title ? `, angle: ${a.title}` : ''}`)}</title>`);
    parts.push(`<rect class="g ${a.kind}" x="${cx - 18}" y="${y(target) - 15}" width="36" height="30" rx="3"/>`);
    if (a.text) {
      parts.push(`<text class="t" x="${cx}" y="${y(target) - 6}">${esc(name)}</text><text class="t s" x="${cx}" y="${y(target) + 7}">${esc(a.text)}</text>`);
    } else {
      parts.push(`<text class="t" x="${cx}" y="${y(target)}">${esc(name)}</text>`);
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  const mw = 76;
  const m: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="circuit measure" width="${mw}" height="${height}" viewBox="0 0 ${mw} ${height}" role="img" aria-label="measurement of ${n} qubits">`, style];
  for (let q = 0; q < n; q++) {
    m.push(`<line class="w" x1="0" x2="8" y1="${y(q)}" y2="${y(q)}"/><rect class="g" x="8" y="${y(q) - 13}" width="30" height="26" rx="3"/><path d="M14 ${y(q) + 6}a9 9 0 0 1 18 0M23 ${y(q) + 6}l6 -11" fill="none" stroke="#333" stroke-width="1.2"/>`);
  }
  if (options.measure) m.push(`<text class="t s" x="${mw / 2 - 8}" y="${height - 6}">${esc(options.measure)}</text>`);
  m.push('</svg>');
  return { gates: parts.join(''), measure: m.join('') };
}

function sub(k: number): string {
  return String(k).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]);
}

/** Writes parameter values (or, with null, none) into the tooltips of a diagram that circuitSvg drew, without redrawing it. */
export function setCircuitParams(root: Element, params: ArrayLike<number> | null): void {
  for (const g of root.querySelectorAll<SVGGElement>('g[data-param]')) {
    const k = Number(g.dataset.param);
    const title = g.querySelector('title');
    const value = params && k < params.length ? ` = ${params[k].toFixed(4)}` : '';
    if (title) title.textContent = `${g.dataset.label}, angle: trainable parameter ${k}${value}`;
  }
}
