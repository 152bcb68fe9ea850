import { readFileSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initParams, makeSpec } from '../../src/moe/models.js';
import { DEFAULT_MOONS, prepareData } from '../../src/train/dataset.js';
import { savedModel, validateModel } from '../../src/train/model-file.js';
import { canvasStats, launch, outputPath, WEBGPU_ARGS, type Browser } from './browser.js';

/**
 * The playground as a first-time visitor uses it (issue 18), one test per problem: limits
 * enforced with a message, a page that answers while a 10-qubit epoch trains in the worker, Stop
 * within 2 s, bad model files refused with the page unchanged, the noise rate kept through a
 * download and reload, shareable URLs, the data drawn in the first view, hover, pause and step.
 * Registered by app.test.ts, on its build and server: one file, so that two Chromiums do not
 * train at once on the same cores. Screenshots go to test-output/e2e/.
 */

const READY = 'body[data-ready="1"]';
const ENDED = '#status[data-state="done"], #status[data-state="error"], #status[data-state="loaded"]';

export function playgroundTests(app: { url: () => string; timings: Record<string, number> }): void {
  describe('playground', () => {
    let b: Browser;
    const timings = app.timings;

    beforeAll(async () => {
      b = await launch(WEBGPU_ARGS);
    }, 60_000);

    afterAll(async () => {
      await b?.close();
    });

    // Pages (and their workers) end with their test, also when it fails.
    const pages: Page[] = [];
    afterEach(async () => {
      for (const p of pages.splice(0)) await p.close();
    });

    /** A fresh page of the shared browser at `query`, ready, with its console errors collected. */
    async function open(query = ''): Promise<{ page: Page; errors: string[] }> {
      const page = await b.context.newPage();
      pages.push(page);
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${app.url()}/index.html${query}`);
      await page.waitForSelector(READY, { timeout: 20_000 });
      await page.waitForSelector('#boundary[data-drawn]', { timeout: 20_000 });
      return { page, errors };
    }

    /** Clicks Train, and "Start anyway" if the page asks (on a loaded machine a measured epoch can pass the confirmation limit). */
    async function startRun(page: Page): Promise<void> {
      await page.click('#train');
      await page.waitForSelector('#status[data-state="training"], #confirm:not([hidden])', { timeout: 60_000 });
      if (await page.isVisible('#confirm')) await page.click('#confirm-start');
    }

    /** Everything a failed action must leave as it was: the form, the URL, the status, the pictures. */
    function pageState(page: Page) {
      return page.evaluate(() => {
        const form = document.getElementById('controls') as HTMLFormElement;
        const values = Array.from(form.elements)
          .map((e) => e as HTMLInputElement)
          .filter((i) => i.name)
          .map((i) => `${i.name}=${i.type === 'radio' ? String(i.checked) : i.value}`);
        const pixels = ['boundary', 'experts', 'loss-chart', 'acc-chart'].map((id) => {
          const c = document.getElementById(id) as HTMLCanvasElement;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let h = 0;
          for (let i = 0; i < d.length; i += 3) h = (h * 31 + d[i]) >>> 0;
          return h;
        });
        const text = (id: string) => document.getElementById(id)!.textContent;
        return { values, pixels, search: location.search, status: text('status'), metrics: text('metrics'), circuit: document.getElementById('circuit')!.innerHTML.length };
      });
    }

    it('shows the study, the models and the data before training (first view)', async () => {
      const { page, errors } = await open();
      expect(await page.textContent('#intro')).toMatch(/Hybrid Quantum-Classical Mixture of Experts.*Interference-Based Routing/s);
      expect(await page.textContent('#intro')).toMatch(/router.*expert/s);
      for (const id of ['#boundary', '#experts']) {
        expect(await page.getAttribute(id, 'data-drawn')).toBe('data');
        const s = await canvasStats(page, id);
        expect(s.colors, id).toBeGreaterThan(20);
        expect(s.variance, id).toBeGreaterThan(50);
      }
      expect(await page.textContent('#class-legend')).toMatch(/class 0.*class 1/s);
      // The first view (no scrolling) holds both maps.
      const box = (await page.locator('#experts').boundingBox())!;
      expect(box.y + box.height).toBeLessThan(page.viewportSize()!.height);
      await page.screenshot({ path: outputPath('playground-first-view.png') });
      // No page points at ../shared (a clone of the project has none).
      for (const p of ['index.html', 'noise.html']) expect(await (await fetch(`${app.url()}/${p}`)).text()).not.toMatch(/shared\//);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('1, 3: clamps over-limit values from a link and from the form, with a message; the noise control only for router B', async () => {
      const { page, errors } = await open('?qubits=16&noiseRate=0.5&samples=10000000&epochs=0&layers=12');
      const notes = await page.textContent('#link-notes');
      expect(notes).toMatch(/qubits: 16 is above the maximum 12/);
      expect(notes).toMatch(/noise rate p: 0\.5 is above the maximum 0\.2/);
      expect(notes).toMatch(/samples: 10000000 is above the maximum 100000/);
      expect(notes).toMatch(/epochs: 0 is below the minimum 1/);
      expect(await page.inputValue('input[name="qubits"]')).toBe('12');
      expect(await page.inputValue('input[name="noiseRate"]')).toBe('0.2');
      // 12 qubits under noise is over the noise limit: refused, naming the field.
      expect(await page.textContent('#spec-error')).toMatch(/qubits \(with noise rate p = 0\.2\): 12 is invalid; must be an integer from 1 to 6/);
      await page.click('#train');
      expect(await page.getAttribute('#status', 'data-state')).toBe('error');
      expect(await page.textContent('#run-error')).toMatch(/qubits/);
      // Typed into the form: clamped when the field is left, with a note.
      await page.fill('input[name="qubits"]', '40');
      await page.press('input[name="qubits"]', 'Tab');
      expect(await page.inputValue('input[name="qubits"]')).toBe('12');
      expect(await page.textContent('#form-notes')).toMatch(/qubits: 40 is above the maximum 12/);
      expect(await page.getAttribute('input[name="qubits"]', 'max')).toBe('12');
      // The noise rate applies to router B only: disabled for A and C, its note not an error.
      await page.selectOption('select[name="router"]', 'linear');
      expect(await page.isDisabled('input[name="noiseRate"]')).toBe(true);
      expect(await page.getAttribute('#noise-note', 'class')).toBe('hint');
      expect(await page.textContent('#noise-note')).toMatch(/router B/);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('1, 4: answers within 200 ms throughout a 10-qubit epoch in the worker, with progress inside the epoch, on the auto engine (CPU on SwiftShader)', async () => {
      const { page, errors } = await open('?qubits=10&layers=12&epochs=1&patience=0&samples=4000');
      await page.evaluate(() => {
        (window as unknown as { longTasks: number[] }).longTasks = [];
        new PerformanceObserver((l) => l.getEntries().forEach((e) => (window as unknown as { longTasks: number[] }).longTasks.push(e.duration))).observe({ type: 'longtask', buffered: false });
      });
      // Every batch the page shows, recorded by the page itself: polling from here (a round trip
      // each) can miss most of a short epoch's progress updates on a loaded machine.
      await page.evaluate(() => {
        const el = document.getElementById('status')!;
        const shown = new Set<string>();
        (window as unknown as { batchesShown: Set<string> }).batchesShown = shown;
        new MutationObserver(() => shown.add(el.dataset.batch ?? '')).observe(el, { attributes: true, attributeFilter: ['data-batch'] });
      });
      const t0 = performance.now();
      await startRun(page);
      await page.waitForSelector('#status[data-state="training"]', { timeout: 30_000 });
      const answers: number[] = [];
      while ((await page.getAttribute('#status', 'data-state')) === 'training' || (await page.getAttribute('#status', 'data-state')) === 'preparing') {
        const t = performance.now();
        await page.evaluate(() => document.getElementById('status')!.dataset.batch ?? '');
        answers.push(performance.now() - t);
        await page.waitForTimeout(50);
        if (performance.now() - t0 > 90_000) break;
      }
      const worst = Math.max(0, ...answers);
      // The 9th decile of the round trips: one round trip can wait for a core of this (test) process
      // when other suites run beside it; a page that stalls is slow on many.
      const p90 = [...answers].sort((a, b) => a - b)[Math.floor(0.9 * (answers.length - 1))] ?? 0;
      const batches = new Set(await page.evaluate(() => [...(window as unknown as { batchesShown: Set<string> }).batchesShown]));
      timings['10-qubit run'] = performance.now() - t0;
      timings['10-qubit worst evaluate'] = worst;
      timings['10-qubit evaluate p90'] = p90;
      timings['10-qubit evaluates'] = answers.length;
      const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
      timings['10-qubit long tasks'] = longTasks.length;
      timings['10-qubit longest task'] = Math.max(0, ...longTasks);
      await page.waitForSelector(ENDED, { timeout: 60_000 });
      expect(await page.getAttribute('#status', 'data-state'), (await page.textContent('#run-error')) ?? '').toBe('done');
      // 9 in 10 answers within 200 ms, none after a second (a page that computed on its main
      // thread took seconds per answer).
      expect(answers.length).toBeGreaterThan(5);
      expect(p90).toBeLessThan(200);
      expect(worst).toBeLessThan(1000);
      expect(batches.size).toBeGreaterThan(3); // progress within the epochs
      expect(await page.getAttribute('#status', 'data-engine')).toBe('cpu');
      expect(await page.textContent('#run-note')).toMatch(/software/);
      expect(await page.textContent('#metrics')).toMatch(/10 qubits × 12 layers/);
      await page.screenshot({ path: outputPath('playground-10-qubits.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    }, 150_000);

    it('1: Stop ends a 10-qubit run within 2 s, mid-epoch', async () => {
      const { page, errors } = await open('?qubits=10&layers=12&epochs=20&patience=0');
      await startRun(page);
      await page.waitForFunction(() => Number(document.getElementById('status')!.dataset.batch) >= 2, undefined, { timeout: 60_000 });
      // The "stopped" state can last only milliseconds before scoring ends, so the page records
      // every status it shows (with the page's clock) rather than the test polling for it.
      await page.evaluate(() => {
        const el = document.getElementById('status')!;
        const seen: { state: string; text: string; at: number }[] = [];
        (window as unknown as { statusSeen: typeof seen }).statusSeen = seen;
        new MutationObserver(() => seen.push({ state: el.dataset.state ?? '', text: el.textContent ?? '', at: performance.now() })).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
      });
      const epochs = await page.getAttribute('#status', 'data-epoch');
      const clickedAt = await page.evaluate(() => performance.now());
      await page.click('#stop');
      // Training ends within a batch ("stopped"), then the kept parameters are scored ("done").
      await page.waitForSelector('#status[data-state="stopped"], ' + ENDED, { timeout: 10_000 });
      const seen = await page.evaluate(() => (window as unknown as { statusSeen: { state: string; text: string; at: number }[] }).statusSeen);
      const stopped = seen.find((s) => s.state === 'stopped');
      expect(stopped?.text, JSON.stringify(seen)).toMatch(/Stopped after/);
      const ms = stopped!.at - clickedAt;
      timings['stop'] = ms;
      expect(ms).toBeLessThan(2000);
      await page.waitForSelector(ENDED, { timeout: 10_000 });
      timings['stop to scored'] = (await page.evaluate(() => performance.now())) - clickedAt;
      expect(await page.getAttribute('#status', 'data-state')).toBe('done');
      expect(await page.textContent('#status')).toMatch(/Done \(stopped\)/);
      expect(await page.getAttribute('#status', 'data-epoch')).toBe(epochs); // mid-epoch: no further epoch
      expect(await page.textContent('#metrics')).toMatch(/stopped by you/);
      expect(await page.isEnabled('#train')).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);

    it('1: a large run shows its measured time per epoch and starts only when confirmed', async () => {
      // 100,000 rows: the fast CPU engine takes a 12-qubit x 12-layer epoch of the default 1,000 in seconds.
      const { page, errors } = await open('?qubits=12&layers=12&samples=100000');
      expect(await page.textContent('#estimate')).toMatch(/Estimate: .* per epoch/);
      await page.click('#train');
      await page.waitForSelector('#confirm:not([hidden])', { timeout: 60_000 });
      expect(await page.textContent('#confirm-text')).toMatch(/Measured on the fast CPU engine.*per epoch.*for 100 epochs/);
      expect(await page.getAttribute('#status', 'data-state')).toBe('idle');
      await page.click('#confirm-cancel');
      expect(await page.isHidden('#confirm')).toBe(true);
      expect(await page.isEnabled('#train')).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);

    it('2: refuses each bad model file with a message naming the field, leaving the page as it was', async () => {
      const spec = makeSpec({ router: 'quantum', preset: 'paper', features: 2, classes: 2 });
      const data = prepareData(DEFAULT_MOONS, 'paper');
      const good = savedModel({ spec, result: { params: initParams(spec, { seed: 1 }), epochsRun: 1, bestEpoch: 1, stoppedEarly: false }, data, training: { backend: 'cpu', lr: 0.01, epochs: 1, batch: 32, seed: 1, patience: 10, init: 'uniform' }, metrics: {} });
      const edit = (f: (m: any) => void) => {
        const m = JSON.parse(JSON.stringify(good));
        f(m);
        return JSON.stringify(m);
      };
      const qubits16 = makeSpec({ router: 'quantum', preset: 'paper', features: 2, classes: 2, qubits: 16, layers: 2 });
      const cases: [string, string, RegExp][] = [
        ['params-1e300', edit((m) => (m.params[0] = 1e300)), /params\[0\]: 1e\+300 is invalid; is beyond float32's range/],
        ['scaler-min-max', edit((m) => (m.scaler.max[1] = m.scaler.min[1])), /scaler\.max\[1\].*must be greater than scaler\.min\[1\]/],
        ['mnist-cli', edit((m) => {
          m.dataset = { name: 'mnist', samples: 2128, noise: 0, seed: 42, split: { train: 0.718, validation: 0.094, test: 0.188 }, image: { source: 'npm', pair: [0, 1], train: 1528, validation: 200, test: 400, components: 8 } };
          m.spec = makeSpec({ router: 'quantum', preset: 'paper', features: 8, classes: 2, qubits: 8, layers: 4 });
        }), /dataset\.name: "mnist" is invalid; the playground regenerates Two Moons only/],
        ['samples-10M', edit((m) => (m.dataset.samples = 10_000_000)), /dataset\.samples: 10000000 is invalid; must be an integer from 20 to 100000/],
        ['unknown-kind', edit((m) => (m.dataset.name = 'cifar10')), /dataset\.name: "cifar10" is invalid; unknown data set kind/],
        ['qubits-16', edit((m) => {
          m.spec = qubits16;
          m.params = Array.from(initParams(qubits16, { seed: 0 }));
        }), /spec\.qubits: 16 is invalid; must be an integer from 1 to 12/],
        ['noise-0.5', edit((m) => (m.training.gateNoise = { p: 0.5, placement: 'every-gate', trajectories: 8, forward: 'density-matrix', seed: 0, circuit: 'cpu', shots: null })), /noise rate p: 0\.5 is invalid; must be a number from 0 to 0\.2/],
        ['not-json', '{"format": "qmoe-model", ', /not valid JSON/],
      ];
      const { page, errors } = await open('?router=mlp&hidden=8,4&epochs=7&seed=5&samples=600');
      const before = await pageState(page);
      for (const [name, text, re] of cases) {
        const file = outputPath(`bad-${name}.json`);
        writeFileSync(file, text);
        await page.evaluate(() => (document.getElementById('run-error')!.textContent = ''));
        await page.setInputFiles('#load', file);
        await page.waitForFunction(() => /was not loaded/.test(document.getElementById('run-error')!.textContent ?? ''), undefined, { timeout: 20_000 });
        expect(await page.textContent('#run-error'), name).toMatch(re);
        expect(await pageState(page), name).toEqual(before);
        expect(await page.isEnabled('#train'), name).toBe(true);
      }
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);

    it('3: the noise rate and the engine survive a download and a reload', async () => {
      const { page, errors } = await open('?noiseRate=0.02&epochs=3&patience=0');
      await page.click('#train');
      await page.waitForSelector(ENDED, { timeout: 60_000 });
      expect(await page.getAttribute('#status', 'data-state'), (await page.textContent('#run-error')) ?? '').toBe('done');
      expect(await page.textContent('#metrics')).toMatch(/trained under noise p = 0\.02/);
      const acc = Number(await page.getAttribute('#status', 'data-test-accuracy'));
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const file = outputPath('model-noisy.json');
      await download.saveAs(file);
      const model = validateModel(JSON.parse(readFileSync(file, 'utf8')));
      expect(model.training.gateNoise?.p).toBe(0.02);
      expect(model.training.gateNoise?.placement).toBe('every-gate');
      expect(model.training.backend).toBe('cpu');
      expect(String(model.metrics.engine)).toMatch(/noisy circuit/);
      await page.close();

      // A fresh page with a noiseless form: the file's noise comes back, and with it the same accuracy.
      const fresh = await open('?router=linear');
      await fresh.page.setInputFiles('#load', file);
      await fresh.page.waitForSelector(ENDED, { timeout: 30_000 });
      expect(await fresh.page.getAttribute('#status', 'data-state'), (await fresh.page.textContent('#run-error')) ?? '').toBe('loaded');
      expect(await fresh.page.inputValue('input[name="noiseRate"]')).toBe('0.02');
      expect(await fresh.page.getAttribute('#status', 'data-noise-rate')).toBe('0.02');
      expect(await fresh.page.textContent('#status')).toMatch(/under noise p = 0\.02/);
      expect(Number(await fresh.page.getAttribute('#status', 'data-test-accuracy'))).toBeCloseTo(acc, 6);
      expect(await fresh.page.textContent('#metrics')).toMatch(/noise-aware at p = 0\.02/);
      expect([...errors, ...fresh.errors]).toEqual([]);
      await fresh.page.close();
    }, 90_000);

    it('5, hover, pause and step: the form is locked during a run, results keep their run, the maps answer P(expert | x)', async () => {
      // Epochs enough that the run cannot end before the pause (40 once ended between the first
      // batch shown and the click, in CI): the test stops it itself.
      const { page, errors } = await open('?epochs=400&patience=0&samples=3000');
      await startRun(page);
      await page.waitForFunction(() => Number(document.getElementById('status')!.dataset.batch) >= 1, undefined, { timeout: 30_000 });
      expect(await page.isDisabled('select[name="router"]')).toBe(true);
      await page.click('#pause');
      await page.waitForSelector('#status[data-state="paused"]', { timeout: 10_000 });
      const at = Number(await page.getAttribute('#status', 'data-paused-epoch'));
      const done = Number(await page.getAttribute('#status', 'data-epoch'));
      await page.waitForTimeout(300);
      expect(Number(await page.getAttribute('#status', 'data-epoch'))).toBe(done); // paused: no more epochs
      const pauses = Number(await page.getAttribute('#status', 'data-pauses'));
      await page.click('#step');
      await page.waitForFunction((n) => document.getElementById('status')!.dataset.state === 'paused' && Number(document.getElementById('status')!.dataset.pauses) > n, pauses, { timeout: 20_000 });
      // Paused during epoch `at` (done = at - 1): the step finishes it; paused after it (done = at): the next one.
      const stepped = Number(await page.getAttribute('#status', 'data-epoch'));
      expect(stepped).toBe(done + 1);
      expect(await page.getAttribute('#status', 'data-paused-epoch')).toBe(String(stepped));
      expect(at === done || at === done + 1).toBe(true);
      // Hover while paused: the router's P(expert | x) and the class probabilities at the cursor.
      const box = (await page.locator('#experts').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForFunction(() => !!document.getElementById('tooltip')!.dataset.probe, undefined, { timeout: 10_000 });
      const tip = await page.textContent('#tooltip');
      expect(tip).toMatch(/P\(class \| x\)/);
      expect(tip).toMatch(/P\(expert \| x\)/);
      const probe = JSON.parse((await page.getAttribute('#tooltip', 'data-probe'))!) as { probs: number[]; route: number[] };
      expect(probe.route.length).toBe(4);
      expect(probe.route.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
      expect(probe.probs.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
      await page.click('#stop');
      await page.waitForSelector(ENDED, { timeout: 10_000 });
      // The form changed after the run: the results still describe the run.
      await page.selectOption('select[name="router"]', 'linear');
      expect(await page.textContent('#metrics')).toMatch(/router B \(quantum\)/);
      await page.mouse.move(box.x + box.width / 3, box.y + box.height / 3);
      await page.waitForTimeout(200);
      await page.screenshot({ path: outputPath('playground-hover.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);

    it('trains quantum experts with top-2 routing and load balancing from the form\'s controls', async () => {
      const { page, errors } = await open('?expertsKind=quantum&topK=2&balance=0.1&epochs=4&patience=0&engine=cpu');
      expect(await page.inputValue('select[name="expertsKind"]')).toBe('quantum');
      expect(await page.inputValue('input[name="topK"]')).toBe('2');
      expect(await page.textContent('#param-count')).toMatch(/4 quantum experts, top-2, balance 0\.1/);
      // Both forms of sparse routing at once: the form names the field.
      await page.fill('input[name="routeShots"]', '8');
      await page.waitForFunction(() => /route-shots/.test(document.getElementById('spec-error')!.textContent ?? ''));
      await page.fill('input[name="routeShots"]', '0');
      await page.waitForFunction(() => (document.getElementById('spec-error')!.textContent ?? '') === '');
      await startRun(page);
      await page.waitForSelector(ENDED, { timeout: 120_000 });
      const status = await page.$eval('#status', (el) => ({ ...(el as HTMLElement).dataset }) as Record<string, string | undefined>);
      expect(status.state, (await page.textContent('#run-error')) ?? '').toBe('done');
      expect(Number(status.testAccuracy)).toBeGreaterThan(0.5);
      expect(errors).toEqual([]);
    });

    it('the URL follows the form and round-trips it', async () => {
      const { page, errors } = await open();
      await page.selectOption('select[name="preset"]', 'code');
      await page.selectOption('select[name="router"]', 'mlp');
      await page.fill('input[name="hidden"]', '8,4');
      await page.fill('input[name="epochs"]', '77');
      await page.fill('input[name="lr"]', '0.05');
      await page.fill('input[name="seed"]', '3');
      await page.fill('input[name="samples"]', '500');
      await page.selectOption('select[name="engine"]', 'cpu');
      await page.selectOption('select[name="init"]', 'small');
      await page.waitForFunction(() => /init=small/.test(location.search));
      const link = page.url();
      expect(link).toMatch(/preset=code/);
      expect(link).toMatch(/epochs=77/);
      expect(link).toMatch(/hidden=8%2C4/);
      const values = (p: Page) => p.$$eval('#controls input[name], #controls select[name]', (els) => els.map((e) => `${(e as HTMLInputElement).name}=${(e as HTMLInputElement).type === 'radio' ? String((e as HTMLInputElement).checked) : (e as HTMLInputElement).value}`));
      const want = await values(page);
      const other = await b.context.newPage();
      pages.push(other);
      await other.goto(link);
      await other.waitForSelector(READY);
      expect(await values(other)).toEqual(want);
      expect(other.url()).toBe(link);
      expect(await other.isHidden('#link-notes')).toBe(true);
      expect(errors).toEqual([]);
      await other.close();
      await page.close();
    });

    it('7: a long circuit scrolls with its measurement in view; drag and drop anywhere; fast after a 100k-row paste', async () => {
      const { page, errors } = await open('?layers=40');
      const circuit = await page.$eval('#circuit', (el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      expect(circuit.scroll).toBeGreaterThan(circuit.client);
      const meter = (await page.locator('#circuit-measure svg').boundingBox())!;
      const card = (await page.locator('#card-circuit').boundingBox())!;
      expect(meter.x + meter.width).toBeLessThanOrEqual(card.x + card.width);
      expect(meter.width).toBeGreaterThan(20);
      await page.screenshot({ path: outputPath('playground-long-circuit.png'), fullPage: true });

      // A CSV dropped on the page header (not on a drop zone) becomes the data.
      const rows = ['x1,x2,label', ...Array.from({ length: 60 }, (_, i) => `${Math.cos(i)},${Math.sin(i)},${i % 2 ? 'a' : 'b'}`)].join('\n');
      await page.evaluate((text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], 'dropped.csv', { type: 'text/csv' }));
        document.querySelector('header')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, rows);
      await page.waitForFunction(() => /60 rows, 2 classes/.test(document.getElementById('csv-info')!.textContent ?? ''), undefined, { timeout: 10_000 });
      expect(await page.isChecked('input[name="source"][value="csv"]')).toBe(true);

      // 100k rows pasted: parsed in the worker; typing stays fast in the box and in the form.
      await page.evaluate(() => {
        const lines = ['x1,x2,label'];
        for (let i = 0; i < 100_000; i++) lines.push(`${(i % 997) / 100},${(i % 991) / 100},${i % 3}`);
        const ta = document.getElementById('csv-text') as HTMLTextAreaElement;
        ta.value = lines.join('\n');
        ta.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await page.waitForFunction(() => /100000 rows, 3 classes/.test(document.getElementById('csv-info')!.textContent ?? ''), undefined, { timeout: 30_000 });
      // The box keeps only a preview of a text this large, read-only: typing into 100k rows is what was slow.
      const box = await page.$eval('#csv-text', (el) => ({ length: (el as HTMLTextAreaElement).value.length, readOnly: (el as HTMLTextAreaElement).readOnly }));
      expect(box.readOnly).toBe(true);
      expect(box.length).toBeLessThan(10_000);
      /** From a key's keydown to the next frame after its handlers. */
      const keystroke = async (selector: string) => {
        await page.focus(selector);
        await page.evaluate(() => {
          const w = window as unknown as { keyMs: Promise<number> };
          w.keyMs = new Promise((ok) => {
            document.addEventListener('keydown', () => {
              const t = performance.now();
              requestAnimationFrame(() => setTimeout(() => ok(performance.now() - t), 0));
            }, { once: true });
          });
        });
        await page.keyboard.press('5');
        return page.evaluate(() => (window as unknown as { keyMs: Promise<number> }).keyMs);
      };
      // The median of 5 keystrokes: one alone can wait 200 ms for a core when other suites run
      // beside this one (208 ms once in CI, 10 ms on an idle machine); a slow page is slow on each.
      const median = async (selector: string) => {
        const ms: number[] = [];
        for (let i = 0; i < 5; i++) ms.push(await keystroke(selector));
        return ms.sort((x, y) => x - y)[2];
      };
      const inBox = await median('#csv-text');
      const inForm = await median('input[name="epochs"]');
      timings['keystroke after 100k paste (box, median of 5)'] = inBox;
      timings['keystroke after 100k paste (form, median of 5)'] = inForm;
      expect(inBox).toBeLessThan(200);
      expect(inForm).toBeLessThan(200);
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);
  });
}
