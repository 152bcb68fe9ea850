import { initParams, makeSpec } from '../src/moe/models.js';
import type { Preset, RouterKind } from '../src/moe/spec.js';
import { accuracy } from '../src/train/metrics.js';
import { presetTraining, shuffleSeed } from '../src/train/trainer.js';
import { moonsData } from './lib/data.js';
import { drawLines, type Series } from './lib/draw.js';
import { gpuLabel, makeEngine, pageGpu, whyNoGpu, type EngineChoice } from './lib/engine.js';
import { HAS_NOISE_MODULE, NOISE_MISSING, NOISE_UNWIRED } from './lib/noise-module.js';
import { trainLive } from './lib/train-loop.js';

/**
 * The noise sweep page. The sweep itself (accuracy at p > 0) needs the noise module (src/noise,
 * issue 4); until it is in the build, this page says so, runs what can be measured without it
 * (the quantum router and the classical baseline at p = 0, with the real engines) and draws the
 * study's claimed numbers only as a labelled reference.
 */

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;

interface Plan {
  rates: number[];
  claimed: (number | null)[];
  claimedBaseline: number | null;
  where: string;
  how: string;
}

/** The two protocols (../shared/STUDY.md, issue 4). Claimed accuracies are the study's, as fractions. */
const PLANS: Record<Preset, Plan> = {
  paper: {
    rates: [0, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05],
    claimed: [0.94, 0.92, 0.89, 0.82, 0.73, null, null],
    claimedBaseline: 0.65,
    where: 'a depolarizing channel after every gate of the router circuit',
    how: 'trains the linear baseline (router A) and the quantum router (B) without noise, then evaluates the trained router at each p',
  },
  code: {
    rates: [0, 0.02, 0.05, 0.1, 0.15, 0.2],
    claimed: [1.0, 0.982, 0.989, 0.994, 0.986, 0.975],
    claimedBaseline: null,
    where: 'DepolarizingChannel(p) on every qubit after the embedding and after the last layer',
    how: 'retrains the quantum router under noise for 20 epochs at each p',
  },
};

interface Measured {
  quantum: number[];
  baseline: number[];
}
let measured: Measured | null = null;
let running = false;

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));
const fmt = (v: number[]) => (v.length ? `${(100 * mean(v)).toFixed(1)}%${v.length > 1 ? ` ± ${(100 * sd(v)).toFixed(1)} (${v.length} seeds)` : ''}` : '');

function render(): void {
  const preset = value('preset') as Preset;
  const plan = PLANS[preset];
  const noiseText = HAS_NOISE_MODULE ? 'not yet: the noise module is present, this page is not wired to it' : 'needs the noise module (src/noise)';
  $('plan').textContent = `${plan.rates.length} noise rates p = ${plan.rates.join(', ')}; noise: ${plan.where}.`;
  $('explain').innerHTML = `
    <p>The <b>${preset}</b> preset's sweep ${plan.how}, at p = ${plan.rates.join(', ')}, with ${plan.where}.
    Each depolarizing channel replaces a qubit's state ρ by (1 − p) ρ + p/3 (XρX + YρY + ZρZ). Accuracy is on the held-out test split,
    averaged over seeds (mean ± standard deviation), and drawn against p with the classical baseline as a line: the curve of the study's Table II.</p>
    <p>Noisy circuits need the noise module of issue 4 (exact density matrices for small circuits, batched Monte-Carlo trajectories on the GPU).
    ${HAS_NOISE_MODULE ? 'It is in this build but this page is not wired to its API yet.' : '<b>It is not in this build</b>, so this page measures only the noiseless point (p = 0) and the baseline, with the same training engines as the playground, and shows no number for p &gt; 0.'}</p>
    <p>From the command line, once the module exists: <code>qmoe noise-sweep --dataset moons --preset ${preset} --out DIR</code>.</p>`;
  const rows = plan.rates.map((p, i) => {
    const claim = plan.claimed[i];
    const here = p === 0 && measured ? fmt(measured.quantum) : p === 0 ? 'run the noiseless part' : noiseText;
    return `<tr><td>p = ${p}</td><td>${claim === null ? '—' : `${(100 * claim).toFixed(1)}%`}</td><td>${here}</td></tr>`;
  });
  const baseHere = preset === 'paper' ? (measured ? fmt(measured.baseline) : 'run the noiseless part') : 'the code preset has no baseline in this sweep';
  $('table').innerHTML =
    `<tr><td><b>noise rate</b></td><td><b>claimed by the study</b></td><td><b>measured here (quantum router, test accuracy)</b></td></tr>` +
    rows.join('') +
    `<tr><td>baseline (router A, linear)</td><td>${plan.claimedBaseline === null ? '—' : `${(100 * plan.claimedBaseline).toFixed(1)}%`}</td><td>${baseHere}</td></tr>`;
  const claimedIdx = plan.claimed.map((c, i) => (c === null ? -1 : i)).filter((i) => i >= 0);
  const series: Series[] = [
    { name: 'claimed (study)', color: '#999', dashed: true, dots: true, xs: claimedIdx.map((i) => plan.rates[i]), values: claimedIdx.map((i) => plan.claimed[i]!) },
  ];
  if (measured) series.push({ name: 'quantum, measured', color: '#3556c8', dots: true, xs: [0], values: [mean(measured.quantum)] });
  const hLines = [];
  if (plan.claimedBaseline !== null) hLines.push({ y: plan.claimedBaseline, color: '#bbb', name: 'baseline (claimed)' });
  if (measured && measured.baseline.length) hLines.push({ y: mean(measured.baseline), color: '#d9480f', name: 'baseline, measured' });
  drawLines($<HTMLCanvasElement>('sweep-chart'), series, { xRange: [0, plan.rates[plan.rates.length - 1]], xLabel: 'noise rate p', yRange: [0.5, 1], percent: true, hLines });
}

/** Trains one model on Two Moons and returns its test accuracy. */
async function trainOne(router: RouterKind, preset: Preset, seed: number, epochs: number, onEpoch: (e: number) => void): Promise<{ acc: number; kind: string; note?: string }> {
  const data = moonsData(preset);
  const spec = makeSpec({ router, preset, features: 2, classes: 2 });
  const t = presetTraining(preset);
  const { engine, note } = await makeEngine(spec, value('engine') as EngineChoice, t.lr);
  try {
    await engine.setParams(initParams(spec, { seed }));
    await trainLive(engine, { train: data.splits.train, validation: data.splits.validation }, {
      epochs,
      batch: t.batch,
      patience: t.patience,
      seed: shuffleSeed(seed),
      stopRequested: () => false,
      onEpoch: (r) => onEpoch(r.epoch),
    });
    const test = data.splits.test;
    const probs = await engine.predict(test.x, test.rows);
    const pred = Int32Array.from({ length: test.rows }, (_, r) => (probs[2 * r + 1] > probs[2 * r] ? 1 : 0));
    return { acc: accuracy(test.y, pred), kind: engine.kind, note };
  } finally {
    engine.dispose();
  }
}

async function runClean(): Promise<void> {
  if (running) return;
  running = true;
  $<HTMLButtonElement>('run-clean').disabled = true;
  $('run-error').textContent = '';
  const status = $('status');
  const preset = value('preset') as Preset;
  const seeds = Math.max(1, Math.min(10, Math.round(Number(value('seeds')) || 1)));
  const epochs = Math.max(1, Math.round(Number(value('epochs')) || 1));
  const next: Measured = { quantum: [], baseline: [] };
  const t0 = performance.now();
  try {
    status.dataset.state = 'training';
    for (let s = 0; s < seeds; s++) {
      const routers: RouterKind[] = preset === 'paper' ? ['quantum', 'linear'] : ['quantum'];
      for (const router of routers) {
        const r = await trainOne(router, preset, s, epochs, (e) => (status.textContent = `seed ${s + 1}/${seeds}: training the ${router} router at p = 0, epoch ${e}/${epochs}`));
        if (r.note) $('run-error').textContent = r.note;
        (router === 'quantum' ? next.quantum : next.baseline).push(r.acc);
        status.dataset.engine = r.kind;
      }
    }
    measured = next;
    status.dataset.state = 'done';
    status.dataset.quantumAccuracy = mean(next.quantum).toFixed(4);
    status.textContent = `Done: p = 0 measured (${((performance.now() - t0) / 1000).toFixed(1)} s on the ${status.dataset.engine} engine). Points at p > 0 need the noise module.`;
  } catch (e) {
    status.dataset.state = 'error';
    status.textContent = 'Error';
    $('run-error').textContent = (e as Error).message;
  } finally {
    running = false;
    $<HTMLButtonElement>('run-clean').disabled = false;
    render();
  }
}

async function start(): Promise<void> {
  const banner = $('noise-status');
  banner.textContent = `Accuracy at p > 0: ${HAS_NOISE_MODULE ? NOISE_UNWIRED : NOISE_MISSING}. This page shows what the sweep will do and measures only the noiseless point (p = 0) and the baseline.`;
  banner.dataset.noise = HAS_NOISE_MODULE ? 'unwired' : 'missing';
  $('sweep-note').textContent = HAS_NOISE_MODULE ? NOISE_UNWIRED : 'Full sweep: needs the noise module (src/noise).';
  form.addEventListener('input', (ev) => {
    if ((ev.target as HTMLInputElement).name === 'preset') {
      (form.elements.namedItem('epochs') as HTMLInputElement).value = String(value('preset') === 'code' ? 20 : 100);
      measured = null;
    }
    render();
  });
  $('run-clean').addEventListener('click', () => void runClean());
  render();
  const a = await pageGpu();
  const choice = form.elements.namedItem('engine') as HTMLSelectElement;
  const gpuNote = document.createElement('p');
  gpuNote.className = 'hint';
  if (a.gpu) gpuNote.textContent = `WebGPU: ${gpuLabel(a.gpu)}.`;
  else {
    gpuNote.textContent = `No WebGPU (${whyNoGpu(a)}): the CPU engine is used.`;
    choice.value = 'cpu';
    (choice.querySelector('option[value="webgpu"]') as HTMLOptionElement).disabled = true;
  }
  form.append(gpuNote);
  document.body.dataset.ready = '1';
}

void start();
