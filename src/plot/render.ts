import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg, renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import { QmoeInputError, checkInt } from '../errors.js';

/**
 * Font list written into every chart. resvg takes the first family it finds among the system
 * fonts (Debian ships DejaVu and Liberation); `sans-serif` is the last resort.
 */
export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** Shared vega-lite config: white background, one font everywhere, no chart border. */
export const BASE_CONFIG = {
  background: 'white',
  font: FONT_FAMILY,
  view: { stroke: null },
  title: { fontSize: 14, fontWeight: 'bold' as const },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 11 },
};

/**
 * Renders a vega-lite spec to an SVG string, headless (vega View with renderer 'none', no DOM or
 * canvas needed). Text widths are estimated by vega's heuristic (no canvas package), which only
 * matters for label overlap and legend placement.
 */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return renumberIds(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/** The first number vega gives each kind of id in a fresh process (clip1, gradient_0). */
const ID_BASE: Record<string, number> = { clip: 1, gradient_: 0, pattern_: 0 };

/**
 * vega numbers clip paths and gradients with counters global to the process, so the same chart
 * drawn after others got other ids; renumbered per document, in order of appearance, a figure's
 * SVG is the same bytes whatever was drawn before it (in one process or in worker processes).
 */
function renumberIds(svg: string): string {
  const next = new Map<string, number>();
  const map = new Map<string, string>();
  for (const m of svg.matchAll(/\bid="(clip|gradient_|pattern_)(\d+)"/g)) {
    const old = m[1] + m[2];
    if (map.has(old)) continue;
    const k = next.get(m[1]) ?? ID_BASE[m[1]];
    next.set(m[1], k + 1);
    map.set(old, m[1] + k);
  }
  if (map.size === 0) return svg;
  return svg.replace(/(\bid="|url\(#|href="#)(clip|gradient_|pattern_)(\d+)(?=[")])/g, (all, head: string, kind: string, n: string) => {
    const to = map.get(kind + n);
    return to === undefined ? all : head + to;
  });
}

export interface PngOptions {
  /** Output width in pixels; the height follows the SVG's aspect ratio. Default: the SVG's own width. */
  width?: number;
}

/** resvg's options for an SVG (checked) and the PNG options. */
function resvgOptions(svg: string, options: PngOptions): ResvgRenderOptions {
  if (typeof svg !== 'string' || !svg.includes('<svg')) {
    throw new QmoeInputError('svg', typeof svg === 'string' ? svg.slice(0, 40) : svg, 'must be an SVG document string');
  }
  if (options.width !== undefined) checkInt('options.width', options.width, 1, 16384);
  return {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    fitTo: options.width !== undefined ? { mode: 'width', value: options.width } : { mode: 'original' },
    background: 'white',
  };
}

const bytes = (png: Buffer) => new Uint8Array(png.buffer, png.byteOffset, png.byteLength);

/**
 * Rasterizes an SVG to PNG bytes with resvg. System fonts are loaded (text must render), with
 * DejaVu Sans as the sans-serif and default family.
 */
export function svgToPng(svg: string, options: PngOptions = {}): Uint8Array {
  return bytes(new Resvg(svg, resvgOptions(svg, options)).render().asPng());
}

/**
 * svgToPng on resvg's own threads: the same bytes, while this thread goes on, so a study's
 * several figures rasterize in parallel.
 */
export async function svgToPngAsync(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  return bytes((await renderAsync(svg, resvgOptions(svg, options))).asPng());
}
