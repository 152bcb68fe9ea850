import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateModel } from '../../src/train/model-file.js';
import { buildApp, canvasStats, CHROMIUM, launch, NO_WEBGPU_ARGS, outputPath, pageAdapter, serve, WEBGPU_ARGS, type Browser } from './browser.js';
import { playgroundTests } from './playground.js';

/**
 * End to end: the built app (npm run build's files) served on localhost and driven in Debian's
 * headless Chromium with playwright-core. With WebGPU (SwiftShader) the playground trains the
 * quantum router on the WebGPU engine; with WebGPU disabled it says so and trains on the CPU
 * engine; then the playground's own tests (playground.ts, issue 18). Screenshots go to
 * test-output/e2e/. QMOE_SKIP_E2E=1 skips these tests on purpose.
 */
const skip = process.env.QMOE_SKIP_E2E === '1';
if (!skip && !existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) or set QMOE_SKIP_E2E=1`);

// The quantum router, paper preset (RY + CZ, 2 qubits x 12 layers, 4 experts), lr 0.01, 30 epochs.
const RUN = '/index.html?router=quantum&preset=paper&epochs=30&patience=0';
const TRAIN_TIMEOUT = 50_000;

describe.skipIf(skip)('browser app', () => {
  let dist = '';
  let server: Server;
  let url = '';
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const t0 = performance.now();
    dist = await buildApp();
    ({ server, url } = await serve(dist));
    timings.build = performance.now() - t0;
  }, 120_000);

  afterAll(async () => {
    server?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
    console.log(`e2e timings (ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`);
  });

  /** Loads the playground, trains, checks the result; returns the test accuracy the page shows. */
  async function trainInPage(b: Browser, engine: 'webgpu' | 'cpu', shot: string): Promise<number> {
    const { page } = b;
    // The WebGPU engine on purpose: `auto` takes the CPU engine on SwiftShader.
    await page.goto(url + RUN + (engine === 'webgpu' ? '&engine=webgpu' : ''));
    await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
    expect(await page.getAttribute('#gpu-status', 'data-gpu')).toBe(engine);
    const t0 = performance.now();
    await page.click('#train');
    await page.waitForSelector('#status[data-state="training"]', { timeout: 10_000 });
    // Accuracy above 85% while it learns, then the end of the run.
    await page.waitForFunction(() => Number(document.getElementById('status')!.dataset.valAccuracy) > 0.85, undefined, { timeout: TRAIN_TIMEOUT });
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: TRAIN_TIMEOUT });
    timings[`train-${engine}`] = performance.now() - t0;
    const status = await page.$eval('#status', (el) => ({ ...(el as HTMLElement).dataset, text: el.textContent }) as Record<string, string | undefined>);
    expect(status.state, `${status.text}: ${await page.textContent('#run-error')}`).toBe('done');
    expect(status.engine).toBe(engine);
    // The browser's CPU fallback is the fast CPU engine (float32 kernels over Web Workers), not the float64 reference.
    if (engine === 'cpu') expect(await page.textContent('body')).toMatch(/fast CPU engine, float32, \d+ threads?/);
    const acc = Number(status.testAccuracy);
    expect(acc).toBeGreaterThan(0.85);
    // The decision boundary and the routing map are drawn: many colors, not one flat fill.
    for (const canvas of ['#boundary', '#experts']) {
      const s = await canvasStats(page, canvas);
      expect(s.width).toBeGreaterThan(0);
      expect(s.colors, canvas).toBeGreaterThan(50);
      expect(s.variance, canvas).toBeGreaterThan(100);
    }
    // The circuit diagram: 2 qubits x 12 layers of RY (+ CZ) after the embedding.
    expect(await page.locator('#circuit svg rect.param').count()).toBe(24);
    expect(await page.locator('#circuit svg rect.feature').count()).toBe(2);
    await page.screenshot({ path: outputPath(shot), fullPage: true });
    expect(b.errors).toEqual([]);
    return acc;
  }

  it('trains the quantum router on WebGPU, draws it, downloads model.json and loads it back', async () => {
    const b = await launch(WEBGPU_ARGS);
    try {
      await b.page.goto(url + '/index.html');
      expect(await pageAdapter(b.page)).toMatch(/^adapter /);
      const acc = await trainInPage(b, 'webgpu', 'playground-webgpu.png');
      expect(await b.page.textContent('#gpu-status')).toMatch(/WebGPU: /);

      // Download: the same model.json as `qmoe train` writes (validated by the same code).
      const [download] = await Promise.all([b.page.waitForEvent('download'), b.page.click('#download')]);
      expect(download.suggestedFilename()).toBe('model.json');
      const file = outputPath('model-webgpu.json');
      await download.saveAs(file);
      const model = validateModel(JSON.parse(readFileSync(file, 'utf8')));
      expect(model.spec).toMatchObject({ router: 'quantum', preset: 'paper', qubits: 2, layers: 12, experts: 4 });
      expect(model.training.backend).toBe('webgpu');
      expect(model.metrics.accuracy).toBeCloseTo(acc, 6);

      // Load it back in a fresh page: same parameters, same test accuracy.
      await b.page.goto(url + '/index.html?router=linear');
      await b.page.waitForSelector('body[data-ready="1"]');
      await b.page.setInputFiles('#load', file);
      await b.page.waitForSelector('#status[data-state="loaded"], #status[data-state="error"]', { timeout: 20_000 });
      expect(await b.page.getAttribute('#status', 'data-state'), (await b.page.textContent('#run-error')) ?? '').toBe('loaded');
      expect(Number(await b.page.getAttribute('#status', 'data-test-accuracy'))).toBeCloseTo(acc, 3);
      expect(await b.page.inputValue('select[name="router"]')).toBe('quantum');
      expect((await canvasStats(b.page, '#boundary')).variance).toBeGreaterThan(100);
      await b.page.screenshot({ path: outputPath('playground-loaded.png'), fullPage: true });
      expect(b.errors).toEqual([]);
    } finally {
      await b.close();
    }
  }, 90_000);

  it('falls back to the CPU engine, and says so, when WebGPU is disabled', async () => {
    const b = await launch(NO_WEBGPU_ARGS);
    try {
      await b.page.goto(url + '/index.html');
      expect(await pageAdapter(b.page)).toMatch(/^(no navigator\.gpu|null adapter)$/);
      await trainInPage(b, 'cpu', 'playground-cpu.png');
      expect(await b.page.textContent('#gpu-status')).toMatch(/WebGPU is not available.*CPU engine/);
      expect(await b.page.getAttribute('#gpu-status', 'class')).toContain('notice');
    } finally {
      await b.close();
    }
  }, 90_000);

  it('runs the noise sweep (paper preset): accuracy at every p, lower under the strongest noise', async () => {
    const b = await launch(WEBGPU_ARGS);
    try {
      await b.page.goto(url + '/noise.html');
      await b.page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
      expect(await b.page.getAttribute('#noise-status', 'data-noise')).toBe('ready');
      // A short sweep: A and B trained noiselessly, B scored under noise after every gate.
      await b.page.fill('input[name="epochs"]', '10');
      const t0 = performance.now();
      await b.page.click('#run-clean');
      await b.page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 60_000 });
      timings['noise-sweep'] = performance.now() - t0;
      expect(await b.page.getAttribute('#status', 'data-state'), (await b.page.textContent('#run-error')) ?? '').toBe('done');
      const clean = Number(await b.page.getAttribute('#status', 'data-quantum-accuracy'));
      const noisy = Number(await b.page.getAttribute('#status', 'data-noisy-accuracy'));
      expect(clean).toBeGreaterThan(0.5);
      expect(noisy).toBeLessThan(clean + 1e-9);
      // Every noise rate has a measured percentage.
      const rows = await b.page.$$eval('#table tr', (trs) => trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (td) => td.textContent ?? '')));
      const rated = rows.filter((r) => /^p = [\d.]+$/.test(r[0]));
      expect(rated.length).toBe(7);
      for (const r of rated) expect(r[2]).toMatch(/%/);
      expect((await canvasStats(b.page, '#sweep-chart')).variance).toBeGreaterThan(10);
      await b.page.screenshot({ path: outputPath('noise-page.png'), fullPage: true });
      expect(b.errors).toEqual([]);
    } finally {
      await b.close();
    }
  }, 90_000);

  playgroundTests({ url: () => url, timings });
});
