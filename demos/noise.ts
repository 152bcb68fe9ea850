import { initParams, makeSpec } from '../src/moe/models.js';
import type { Preset, RouterKind } from '../src/moe/spec.js';
import { accuracy } from '../src/train/metrics.js';
import { presetTraining, shuffleSeed } from '../src/train/trainer.js';
import { moonsData } from './lib/data.js';
import { drawLines, type Series } from './lib/draw.js';
import { contextGpu, gpuLabel, makeEngine, whyNoGpu } from './lib/engine.js';
import type { EngineChoice } from './lib/protocol.js';
import { CpuModel } from '../src/moe/forward-cpu.js';
import { NoisyBackend } from '../src/index.js';
import { createNoisyCpuEngine, routerNoise } from '../src/noise/training.js';
import { trainLive } from './lib/train-loop.js';

/**
 * The noise sweep page (the study's Table II) with the noise module (src/noise): the paper
 * preset trains A and B without noise and scores B under depolarizing noise after every gate
 * (exact density matrices); the code preset retrains B under noise after the embedding and the
 * last layer at each p (noise-aware gradients over trajectories). The study's numbers are drawn
 * beside ours as a labelled reference.
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

/** The study's two protocols (docs/study.md). Claimed accuracies are the study's, as fractions. */
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
  /** Test accuracies of the quantum router per noise rate (index of plan.rates), one per seed. */
  quantum: number[][];
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
  $('plan').textContent = `${plan.rates.length} noise rates p = ${plan.rates.join(', ')}; noise: ${plan.where}.`;
  $('explain').innerHTML = `
    <p>The <b>${preset}</b> preset's sweep ${plan.how}, at p = ${plan.rates.join(', ')}, with ${plan.where}.
    Each depolarizing channel replaces a qubit's state ρ by (1 − p) ρ + p/3 (XρX + YρY + ZρZ). Accuracy is on the held-out test split,
    averaged over seeds (mean ± standard deviation), and drawn against p with the classical baseline as a line: the curve of the study's Table II.</p>
    <p>Noisy circuits run as exact density matrices (scoring) and, for noise-aware training, as Monte-Carlo trajectories whose Paulis are fixed gates of the adjoint gradient.
    The same sweep from the command line: <code>qmoe noise-sweep --dataset moons --preset ${preset} --out DIR</code>.</p>`;
  const rows = plan.rates.map((p, i) => {
    const claim = plan.claimed[i];
    const here = measured ? fmt(measured.quantum[i]) : 'press Run';
    return `<tr><td>p = ${p}</td><td>${claim === null ? '—' : `${(100 * claim).toFixed(1)}%`}</td><td>${here}</td></tr>`;
  });
  const baseHere = preset === 'paper' ? (measured ? fmt(measured.baseline) : 'press Run') : 'the code preset has no baseline in this sweep';
  $('table').innerHTML =
    `<tr><td><b>noise rate</b></td><td><b>claimed by the study</b></td><td><b>measured here (quantum router, test accuracy)</b></td></tr>` +
    rows.join('') +
    `<tr><td>baseline (router A, linear)</td><td>${plan.claimedBaseline === null ? '—' : `${(100 * plan.claimedBaseline).toFixed(1)}%`}</td><td>${baseHere}</td></tr>`;
  const claimedIdx = plan.claimed.map((c, i) => (c === null ? -1 : i)).filter((i) => i >= 0);
  const series: Series[] = [
    { name: 'claimed (study)', color: '#999', dashed: true, dots: true, xs: claimedIdx.map((i) => plan.rates[i]), values: claimedIdx.map((i) => plan.claimed[i]!) },
  ];
  if (measured) series.push({ name: 'quantum, measured', color: '#3556c8', dots: true, xs: plan.rates, values: measured.quantum.map(mean) });
  const hLines = [];
  if (plan.claimedBaseline !== null) hLines.push({ y: plan.claimedBaseline, color: '#bbb', name: 'baseline (claimed)' });
  if (measured && measured.baseline.length) hLines.push({ y: mean(measured.baseline), color: '#d9480f', name: 'baseline, measured' });
  drawLines($<HTMLCanvasElement>('sweep-chart'), series, { xRange: [0, plan.rates[plan.rates.length - 1]], xLabel: 'noise rate p', yRange: [0.5, 1], percent: true, hLines });
}

/** Test accuracy of a trained quantum router whose circuit runs under noise rate p (exact density matrices). */
async function scoreUnderNoise(r: Awaited<ReturnType<typeof trainOne>>, p: number): Promise<number> {
  const model = new CpuModel(r.spec, new NoisyBackend(routerNoise(r.spec, p)));
  const out = await model.forward(r.params, r.test.x, r.test.rows);
  return accuracy(r.test.y, out.predictions);
}

/** Trains one model on Two Moons (under noise rate p when p > 0) and returns its test accuracy. */
async function trainOne(router: RouterKind, preset: Preset, seed: number, epochs: number, onEpoch: (e: number) => void, p = 0) {
  const data = moonsData(preset);
  const spec = makeSpec({ router, preset, features: 2, classes: 2 });
  const t = presetTraining(preset);
  // Under noise: the CPU engine with the noisy circuit, on the page's GPU when it has one.
  const gpu = p > 0 && value('engine') === 'webgpu' ? (await contextGpu()).gpu : null;
  const made = p > 0 ? null : await makeEngine(spec, value('engine') as EngineChoice, t.lr, { p: 0, seed });
  const engine = made ? made.engine : createNoisyCpuEngine(spec, { lr: t.lr, p, trajectories: 8, seed, gpu }).engine;
  const note = made?.info.note;
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
    return { acc: accuracy(test.y, pred), kind: engine.kind, note, params: await engine.getParams(), spec, test };
  } finally {
    engine.dispose();
    made?.circuitBackend.dispose();
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
  const plan = PLANS[preset];
  const next: Measured = { quantum: plan.rates.map(() => []), baseline: [] };
  const t0 = performance.now();
  try {
    status.dataset.state = 'training';
    for (let s = 0; s < seeds; s++) {
      const say = (what: string) => (e: number) => (status.textContent = `seed ${s + 1}/${seeds}: ${what}, epoch ${e}/${epochs}`);
      const q = await trainOne('quantum', preset, s, epochs, say('training the quantum router at p = 0'));
      if (q.note) $('run-error').textContent = q.note;
      status.dataset.engine = q.kind;
      next.quantum[0].push(q.acc);
      if (preset === 'paper') {
        const a = await trainOne('linear', preset, s, epochs, say('training the linear baseline'));
        next.baseline.push(a.acc);
        for (let i = 1; i < plan.rates.length; i++) {
          status.textContent = `seed ${s + 1}/${seeds}: scoring the quantum router under noise p = ${plan.rates[i]}`;
          next.quantum[i].push(await scoreUnderNoise(q, plan.rates[i]));
        }
      } else {
        for (let i = 1; i < plan.rates.length; i++) {
          const r = await trainOne('quantum', preset, s, epochs, say(`retraining the quantum router under noise p = ${plan.rates[i]}`), plan.rates[i]);
          next.quantum[i].push(r.acc);
        }
      }
      measured = next;
      render();
    }
    measured = next;
    status.dataset.state = 'done';
    status.dataset.quantumAccuracy = mean(next.quantum[0]).toFixed(4);
    status.dataset.noisyAccuracy = mean(next.quantum[next.quantum.length - 1]).toFixed(4);
    status.textContent = `Done: ${plan.rates.length} noise rates (${((performance.now() - t0) / 1000).toFixed(1)} s; noiseless training on the ${status.dataset.engine} engine).`;
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
  banner.textContent = 'Depolarizing noise: exact density matrices for scoring, noise-aware trajectories for retraining.';
  banner.dataset.noise = 'ready';
  form.addEventListener('input', (ev) => {
    if ((ev.target as HTMLInputElement).name === 'preset') {
      (form.elements.namedItem('epochs') as HTMLInputElement).value = String(value('preset') === 'code' ? 20 : 100);
      measured = null;
    }
    render();
  });
  $('run-clean').addEventListener('click', () => void runClean());
  render();
  const a = await contextGpu();
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
