import { describe, expect, it } from 'vitest';
import { inflateSync } from 'node:zlib';
import { QmoeInputError } from '../../src/errors.js';
import { makeMoons } from '../../src/data/moons.js';
import { boundarySvg, gridAround, gridPoints, lineChartSvg, svgToPng, svgToPngAsync } from '../../src/plot/boundary.js';
import { encodePngRgb } from '../../src/plot/png.js';

/** Width and height from a PNG's IHDR chunk, after checking the 8-byte signature. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR');
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg);
  expect(m).not.toBeNull();
  return { width: Number(m![1]), height: Number(m![2]) };
}

/** The class-1 probability of a made-up boundary: a sine wave between the moons. */
function fakeModel(points: Float64Array): Float64Array {
  const v = new Float64Array(points.length / 2);
  for (let k = 0; k < v.length; k++) {
    const [x, y] = [points[2 * k], points[2 * k + 1]];
    v[k] = 1 / (1 + Math.exp(6 * (y - 0.25 + 0.5 * Math.sin(3 * (x - 0.5)))));
  }
  return v;
}

describe('boundarySvg', () => {
  it('draws the title, the axes and one mark per data point', async () => {
    const d = makeMoons({ samples: 37, noise: 0.1, seed: 1 });
    const g = gridAround(d.x, { nx: 20, ny: 15 });
    const svg = await boundarySvg({
      grid: { ...g, values: fakeModel(gridPoints(g)) },
      points: { x: d.x, y: d.y },
      title: 'Two Moons decision boundary',
      xLabel: 'feature 1',
      yLabel: 'feature 2',
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Two Moons decision boundary');
    expect(svg).toContain('feature 1');
    expect(svg).toContain('P(class 1)');
    expect(svg).toContain('data:image/png;base64,'); // the regions
    // The points are the last layer: one <path> per point inside its mark group.
    const group = /<g class="mark-symbol role-mark layer_2_marks"[^>]*>(.*?)<\/g>/s.exec(svg);
    expect(group).not.toBeNull();
    expect(group![1].match(/<path /g)?.length).toBe(37);
    // Both class colors appear on the points.
    expect(group![1]).toContain('#2166ac');
    expect(group![1]).toContain('#b2182b');
  });

  it('lists grid points row-major from (x0, y0)', () => {
    const p = gridPoints({ x0: 0, x1: 2, y0: -1, y1: 1, nx: 3, ny: 2 });
    expect(Array.from(p)).toEqual([0, -1, 1, -1, 2, -1, 0, 1, 1, 1, 2, 1]);
    const g = gridAround(Float64Array.from([0, 0, 10, 2]), { nx: 5, ny: 4, margin: 0.1 });
    expect(g).toEqual({ x0: -1, x1: 11, y0: -0.2, y1: 2.2, nx: 5, ny: 4 });
  });

  it('renders 100 x 100 cells and 1000 points to SVG and PNG quickly', async () => {
    const d = makeMoons({ samples: 1000, noise: 0.1, seed: 42 });
    const g = gridAround(d.x, { nx: 100, ny: 100 });
    const values = fakeModel(gridPoints(g));
    await boundarySvg({ grid: { ...g, values }, points: d, title: 'warm-up' });
    const t0 = performance.now();
    const svg = await boundarySvg({ grid: { ...g, values }, points: d, title: 'Fig. 1' });
    const t1 = performance.now();
    const png = svgToPng(svg, { width: 800 });
    const t2 = performance.now();
    console.log(`boundary 100x100 + 1000 points: svg ${(t1 - t0).toFixed(0)} ms, png ${(t2 - t1).toFixed(0)} ms, ${svg.length} chars`);
    expect(t2 - t0).toBeLessThan(3000); // about 0.3 s here; generous for slow CI machines
    const size = pngSize(png);
    const s = svgSize(svg);
    expect(size.width).toBe(800);
    expect(Math.abs(size.height - (s.height * 800) / s.width)).toBeLessThanOrEqual(1);
  });

  it('rejects bad grids and points', async () => {
    const arg = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        expect(e).toBeInstanceOf(QmoeInputError);
        return (e as QmoeInputError).argument;
      }
      return 'no error';
    };
    const grid = { x0: 0, x1: 1, y0: 0, y1: 1, nx: 2, ny: 2, values: [0, 0.5, 1, 0.2] };
    const points = { x: [0.5, 0.5], y: [1] };
    expect(await arg(() => boundarySvg({ grid: { ...grid, values: [0, 1] }, points, title: 't' }))).toBe('grid.values.length');
    expect(await arg(() => boundarySvg({ grid: { ...grid, values: [0, 1, 2, 0] }, points, title: 't' }))).toBe('grid.values[2]');
    expect(await arg(() => boundarySvg({ grid: { ...grid, x1: 0 }, points, title: 't' }))).toBe('grid.x1');
    expect(await arg(() => boundarySvg({ grid: { ...grid, nx: 1 }, points, title: 't' }))).toBe('grid.nx');
    expect(await arg(() => boundarySvg({ grid, points: { x: [0.5, 0.5], y: [2] }, title: 't' }))).toBe('points.y[0]');
    expect(await arg(() => boundarySvg({ grid, points: { x: [0.5, 0.5, 1], y: [1] }, title: 't' }))).toBe('points.x');
    expect(await arg(() => boundarySvg({ grid, points, title: 5 as never }))).toBe('title');
  });
});

describe('svgToPng', () => {
  const text = (s: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><text x="10" y="30" font-family="sans-serif" font-size="20">${s}</text></svg>`;

  it('gives a PNG of the SVG size, or of the requested width', () => {
    const a = svgToPng(text('qmoe'));
    expect(pngSize(a)).toEqual({ width: 200, height: 50 });
    const b = svgToPng(text('qmoe'), { width: 400 });
    expect(pngSize(b)).toEqual({ width: 400, height: 100 });
  });

  it('renders text (system fonts are loaded)', () => {
    expect(Buffer.from(svgToPng(text('Hello'))).equals(Buffer.from(svgToPng(text(''))))).toBe(false);
  });

  it('rejects what is not SVG', () => {
    expect(() => svgToPng('hello')).toThrow(QmoeInputError);
    expect(() => svgToPng(text('x'), { width: 0 })).toThrow(/options.width/);
  });

  it('svgToPngAsync gives the same bytes on resvg threads, and rejects the same input', async () => {
    const svgs = [text('qmoe'), text('Hello'), text('')];
    const async = await Promise.all(svgs.map((s) => svgToPngAsync(s, { width: 300 })));
    svgs.forEach((s, k) => expect(Buffer.from(async[k]).equals(Buffer.from(svgToPng(s, { width: 300 })))).toBe(true));
    await expect(svgToPngAsync('hello')).rejects.toThrow(QmoeInputError);
    await expect(svgToPngAsync(text('x'), { width: 0 })).rejects.toThrow(/options.width/);
  });
});

describe('lineChartSvg', () => {
  it('draws named series with axis labels and a title', async () => {
    const epochs = [1, 2, 3, 4, 5];
    const svg = await lineChartSvg({
      series: [
        { name: 'train', x: epochs, y: [0.9, 0.6, 0.4, 0.3, 0.25] },
        { name: 'validation', x: epochs, y: [1.0, 0.7, 0.5, NaN, 0.4] },
      ],
      xLabel: 'epoch',
      yLabel: 'loss',
      title: 'Training history',
    });
    for (const s of ['Training history', 'epoch', 'loss', 'train', 'validation']) expect(svg).toContain(s);
    expect(pngSize(svgToPng(svg)).width).toBe(svgSize(svg).width);
    await expect(lineChartSvg({ series: [{ name: 'a', x: [1, 2], y: [1] }], xLabel: '', yLabel: '', title: '' })).rejects.toThrow(
      QmoeInputError,
    );
  });

  it('gives the same SVG bytes for the same chart whatever was drawn before it (ids numbered per document)', async () => {
    const grid = gridAround([0, 0, 1, 1], { nx: 4, ny: 4 });
    const chart = (title: string) => boundarySvg({ grid: { ...grid, values: new Float64Array(16).fill(0.5) }, points: { x: [0, 0, 1, 1], y: [0, 1] }, title });
    const first = await chart('a');
    const ids = [...first.matchAll(/id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(1); // a clip path and the legend's gradient: the test checks something
    for (const id of ids) expect(first).toContain(`url(#${id})`);
    await chart('another chart, drawn in between');
    expect(await chart('a')).toBe(first);
  });
});

describe('encodePngRgb', () => {
  it('writes a valid PNG whose pixels decode back', () => {
    const w = 3;
    const h = 2;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
    const png = encodePngRgb(w, h, rgb);
    expect(pngSize(png)).toEqual({ width: 3, height: 2 });
    // Decoded by an independent decoder (fast-png's is not used): pixels come back unchanged.
    const v = new DataView(png.buffer, png.byteOffset);
    const len = v.getUint32(33);
    expect(String.fromCharCode(...png.subarray(37, 41))).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + len));
    // One filter byte per row, then the row; undo the filters the encoder chose (0 none, 1 sub, 2 up).
    const rows: number[][] = [];
    for (let r = 0; r < h; r++) {
      const filter = raw[r * (w * 3 + 1)];
      const line = Array.from(raw.subarray(r * (w * 3 + 1) + 1, (r + 1) * (w * 3 + 1)));
      const out = [...line];
      for (let i = 0; i < out.length; i++) {
        if (filter === 1) out[i] = (line[i] + (i >= 3 ? out[i - 3] : 0)) & 255;
        else if (filter === 2) out[i] = (line[i] + (r > 0 ? rows[r - 1][i] : 0)) & 255;
        else expect(filter).toBe(0);
      }
      rows.push(out);
    }
    expect(rows.flat()).toEqual(Array.from(rgb));
    // resvg decodes it too (checks the CRCs): embed it in an SVG and rasterize.
    const b64 = Buffer.from(png).toString('base64');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="30" height="20"><image width="30" height="20" xlink:href="data:image/png;base64,${b64}"/></svg>`;
    expect(pngSize(svgToPng(svg))).toEqual({ width: 30, height: 20 });
  });
});
