import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Helpers of the end-to-end tests: build the app, serve it on localhost, drive Debian's Chromium. */

export const CHROMIUM = process.env.QMOE_CHROMIUM ?? '/usr/bin/chromium';
export const ROOT = resolve(import.meta.dirname, '../..');
export const OUTPUT = join(ROOT, 'test-output', 'e2e');

/** Flags common to every launch: no network chatter, no first-run UI, a fresh profile per launch. */
const BASE_ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/**
 * WebGPU in headless Chromium without a GPU: SwiftShader (Chromium's CPU Vulkan driver) as the
 * WebGPU adapter. `--enable-unsafe-webgpu` is needed on Linux, where WebGPU is not enabled by default.
 */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];

/** WebGPU off: navigator.gpu gives no adapter and the app must fall back to its CPU engine. */
export const NO_WEBGPU_ARGS = ['--disable-features=WebGPU'];

/** Builds the app (vite.config.ts, as `npm run build`) into a temporary directory. */
export async function buildApp(): Promise<string> {
  const { build } = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'qmoe-e2e-dist-'));
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  return outDir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wgsl': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A plain static file server (what any static host does) on localhost, a secure context for WebGPU. */
export async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return { url: `http://localhost:${port}`, server };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  close(): Promise<void>;
}

/** Launches Chromium with `args` and a fresh profile (removed on close). */
export async function launch(args: string[]): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'qmoe-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreDefaultArgs: ['--headless'],
    args: [...BASE_ARGS, ...args],
    viewport: { width: 1280, height: 1200 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function outputPath(name: string): string {
  mkdirSync(OUTPUT, { recursive: true });
  return join(OUTPUT, name);
}

/** What the page's WebGPU says: 'no navigator.gpu', 'null adapter' or the adapter's vendor/architecture. */
export async function pageAdapter(page: Page): Promise<string> {
  return page.evaluate(async () => {
    if (!('gpu' in navigator) || !navigator.gpu) return 'no navigator.gpu';
    const a = await navigator.gpu.requestAdapter();
    if (!a) return 'null adapter';
    return `adapter ${a.info.vendor}/${a.info.architecture}/${a.info.description}`;
  });
}

/** Variance of the luminance of a canvas's pixels and its number of distinct colors (a blank canvas has 0 and 1). */
export async function canvasStats(page: Page, selector: string): Promise<{ variance: number; colors: number; width: number; height: number }> {
  return page.$eval(selector, (el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let sum = 0, sum2 = 0;
    const colors = new Set<number>();
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
      sum += y;
      sum2 += y * y;
      if (colors.size < 5000) colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    return { variance: sum2 / n - (sum / n) ** 2, colors: colors.size, width: c.width, height: c.height };
  });
}
