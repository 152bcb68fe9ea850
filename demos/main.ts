import { QmoeInputError } from '../src/errors.js';
import { CpuModel } from '../src/moe/forward-cpu.js';
import { countParams, initParams, makeSpec, presetDefaults, modelCircuit, type InitKind } from '../src/moe/models.js';
import type { ModelSpec, Preset, RouterKind } from '../src/moe/spec.js';
import type { TrainingEngine } from '../src/train/engine.js';
import { accuracy, efficiency, f1 } from '../src/train/metrics.js';
import { modelJson, savedModel, validateModel, type SavedModel } from '../src/train/model-file.js';
import { presetTraining, shuffleSeed, type EpochRecord } from '../src/train/trainer.js';
import { circuitSvg } from './lib/circuit-svg.js';
import { csvData, exampleCsv, moonsData, parseCsv, type AppData, type ParsedCsv } from './lib/data.js';
import { CLASS_COLORS, drawBoundary, drawExperts, drawLines, drawMessage, EXPERT_COLORS, gridAround, gridPoints, type PlotGrid } from './lib/draw.js';
import { gpuLabel, makeEngine, pageGpu, whyNoGpu, type EngineChoice } from './lib/engine.js';
import { trainLive } from './lib/train-loop.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
const value = (name: string) => {
  const f = form.elements.namedItem(name);
  if (f instanceof RadioNodeList) return f.value;
  return (f as HTMLInputElement).value;
};
const num = (name: string) => {
  const v = Number(value(name));
  if (value(name).trim() === '' || !Number.isFinite(v)) throw new QmoeInputError(name, value(name), 'must be a number');
  return v;
};
const int = (name: string) => {
  const v = num(name);
  if (!Number.isInteger(v)) throw new QmoeInputError(name, v, 'must be an integer');
  return v;
};

const GRID = 64; // boundary and routing maps: 64 x 64 = 4096 points, one predict call
const REDRAW_MS = 200; // redraw the maps at most this often while training

const status = $('status');
const progress = $('progress');
const runError = $('run-error');
const boundaryCanvas = $<HTMLCanvasElement>('boundary');
const expertCanvas = $<HTMLCanvasElement>('experts');
const lossChart = $<HTMLCanvasElement>('loss-chart');
const accChart = $<HTMLCanvasElement>('acc-chart');

let csv: { parsed: ParsedCsv; name: string } | null = null;
let stopRequested = false;
let running = false;
let lastModel: SavedModel | null = null;

function setStatus(state: 'idle' | 'training' | 'done' | 'loaded' | 'error', text: string, data: Record<string, string | number> = {}): void {
  status.dataset.state = state;
  status.textContent = text;
  for (const [k, v] of Object.entries(data)) status.dataset[k] = String(v);
}

// ---------------------------------------------------------------- data and spec from the form

function currentData(preset: Preset): AppData {
  if (value('source') === 'csv') {
    if (!csv) throw new Error('no CSV data yet: paste rows (x1, x2, label) into the box or drop a file');
    return csvData(csv.parsed, preset, csv.name);
  }
  return moonsData(preset, { samples: int('samples'), noise: num('dataNoise'), seed: int('dataSeed') });
}

function currentShape(): { features: number; classes: number } {
  return value('source') === 'csv' && csv ? { features: 2, classes: csv.parsed.classNames.length } : { features: 2, classes: 2 };
}

function parseHidden(): number[] {
  const parts = value('hidden').split(',');
  if (!parts.every((p) => /^\s*\d+\s*$/.test(p))) throw new QmoeInputError('MLP hidden', value('hidden'), 'must be comma-separated positive integers, e.g. 16,8');
  return parts.map(Number);
}

function specFromForm(): ModelSpec {
  const shape = currentShape();
  return makeSpec({
    router: value('router') as RouterKind,
    preset: value('preset') as Preset,
    features: shape.features,
    classes: shape.classes,
    experts: int('experts'),
    qubits: int('qubits'),
    layers: int('layers'),
    hidden: parseHidden(),
  });
}

const ROUTER_NAMES: Record<RouterKind, string> = { linear: 'A (linear)', quantum: 'B (quantum)', mlp: 'C (MLP)' };

/** Parameter count, circuit diagram and which controls apply, whenever the form changes. */
function refreshSpec(params?: ArrayLike<number>): ModelSpec | null {
  const router = value('router') as RouterKind;
  const quantum = router === 'quantum';
  for (const n of ['qubits', 'layers']) field(n).disabled = !quantum;
  field('hidden').disabled = router !== 'mlp';
  $('moons-options').hidden = value('source') !== 'moons';
  $('csv-options').hidden = value('source') !== 'csv';
  try {
    const spec = specFromForm();
    const c = countParams(spec);
    $('param-count').textContent = `${c.total} parameters: router ${c.router}, experts ${c.experts} (${spec.experts} linear experts)`;
    $('spec-error').textContent = '';
    drawCircuit(spec, params);
    return spec;
  } catch (e) {
    $('param-count').textContent = '';
    $('spec-error').textContent = (e as Error).message;
    return null;
  }
}

function drawCircuit(spec: ModelSpec, params?: ArrayLike<number>): void {
  const box = $('circuit');
  const note = $('circuit-note');
  if (spec.router !== 'quantum') {
    const widths = spec.router === 'linear' ? [spec.features, spec.experts] : [spec.features, ...spec.hidden, spec.experts];
    box.innerHTML = '';
    note.textContent = `router ${ROUTER_NAMES[spec.router]} is classical: dense layers ${widths.join(' → ')}${spec.router === 'mlp' ? ' (ReLU)' : ''}, then softmax. Pick router B for a circuit.`;
    return;
  }
  const circuit = modelCircuit(spec);
  const measure = spec.preset === 'paper' ? `P(expert): ${spec.experts} blocks of ${2 ** spec.qubits} basis states` : `⟨Z⟩ per qubit → adapter → softmax`;
  note.textContent = `${spec.qubits} qubits, ${spec.layers} layers, ${circuit.ops.length} gates, ${circuit.params} angles (${spec.preset} preset; blue: input features, orange: trainable; hover a gate for its value). Output: ${measure}.`;
  box.innerHTML = circuitSvg(circuit, { params, measure: spec.preset === 'paper' ? 'P(e)' : '⟨Z⟩' });
}

/** Model sizes and training defaults of the selected preset (as `qmoe train` would use). */
function applyPresetDefaults(): void {
  const preset = value('preset') as Preset;
  const d = presetDefaults(preset, 2);
  const t = presetTraining(preset);
  field('qubits').value = String(d.qubits);
  field('layers').value = String(d.layers);
  field('experts').value = String(d.experts);
  field('hidden').value = d.hidden.join(',');
  field('lr').value = String(t.lr);
  field('epochs').value = String(t.epochs);
  field('batch').value = String(t.batch);
  field('patience').value = String(t.patience);
}

// ---------------------------------------------------------------- pictures

interface View {
  data: AppData;
  spec: ModelSpec;
  grid: PlotGrid;
  points: Float64Array;
  cpu: CpuModel;
  test: Set<number>;
}

function makeView(data: AppData, spec: ModelSpec): View {
  const grid = gridAround(data.scaled, GRID);
  return { data, spec, grid, points: gridPoints(grid), cpu: new CpuModel(spec), test: new Set(data.indices.test) };
}

/**
 * Redraws the boundary (class probabilities predicted by the engine over the grid: on the GPU for
 * the WebGPU engine) and the routing map (router probabilities of the current parameters, from the
 * float64 CPU model).
 */
async function drawModel(view: View, engine: TrainingEngine | null, params: Float64Array | null): Promise<Float64Array> {
  const n = view.grid.nx * view.grid.ny;
  const p = params ?? (await engine!.getParams());
  const probs = engine ? await engine.predict(view.points, n) : (await view.cpu.forward(p, view.points, n)).probs;
  drawBoundary(boundaryCanvas, view.grid, probs, view.spec.classes, { x: view.data.scaled, y: view.data.labels, test: view.test });
  const route = (await view.cpu.forward(p, view.points, n)).route;
  const share = drawExperts(expertCanvas, view.grid, route, view.spec.experts, { x: view.data.scaled, y: view.data.labels });
  $('expert-legend').innerHTML = share
    .map((s, e) => `<span><i style="background:${EXPERT_COLORS[e % EXPERT_COLORS.length]}"></i>expert ${e}: ${(100 * s).toFixed(0)}% of the plane</span>`)
    .join('');
  return p;
}

function drawCharts(history: EpochRecord[]): void {
  drawLines(lossChart, [
    { name: 'train loss', color: '#3556c8', values: history.map((r) => r.trainLoss) },
    { name: 'validation loss', color: '#d9480f', values: history.map((r) => r.valLoss), dashed: true },
  ]);
  const accs = history.flatMap((r) => [r.trainAccuracy, r.valAccuracy]);
  drawLines(
    accChart,
    [
      { name: 'train accuracy', color: '#3556c8', values: history.map((r) => r.trainAccuracy) },
      { name: 'validation accuracy', color: '#d9480f', values: history.map((r) => r.valAccuracy), dashed: true },
    ],
    { yRange: [Math.min(0.5, ...accs), 1], percent: true },
  );
}

function showMetrics(rows: [string, string][]): void {
  $('metrics').innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('');
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

function argmaxRows(probs: ArrayLike<number>, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[r * classes + c] > probs[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Test-split scores of the engine's current parameters (as `qmoe train` reports them). */
async function testScores(engine: TrainingEngine, data: AppData) {
  await engine.load('test', data.splits.test);
  const testLoss = await engine.evaluate('test');
  const validation = await engine.evaluate('validation');
  const train = await engine.evaluate('train');
  const t = data.splits.test;
  const pred = argmaxRows(await engine.predict(t.x, t.rows), t.rows, t.classes);
  return { accuracy: accuracy(t.y, pred), f1: f1(t.y, pred, t.classes), testLoss: testLoss.loss, rows: t.rows, validation, train };
}

// ---------------------------------------------------------------- training

async function train(): Promise<void> {
  if (running) return;
  runError.textContent = '';
  let engine: TrainingEngine | null = null;
  try {
    const spec = refreshSpec();
    if (!spec) throw new Error($('spec-error').textContent ?? 'invalid model');
    const data = currentData(spec.preset);
    const lr = num('lr');
    if (!(lr > 0)) throw new QmoeInputError('learning rate', lr, 'must be > 0');
    const epochs = int('epochs'), batch = int('batch'), patience = int('patience'), seed = int('seed');
    const init = value('init') as InitKind;
    running = true;
    stopRequested = false;
    setButtons();
    lastModel = null;
    setStatus('training', 'Starting…', { epoch: 0, valAccuracy: 0, testAccuracy: '' });
    const made = await makeEngine(spec, value('engine') as EngineChoice, lr, Number(value('noiseRate')) || 0);
    engine = made.engine;
    status.dataset.engine = engine.kind;
    if (made.note) runError.textContent = made.note;
    await engine.setParams(initParams(spec, { seed, init }));
    const view = makeView(data, spec);
    const history: EpochRecord[] = [];
    let lastDraw = 0;
    const t0 = performance.now();
    await drawModel(view, engine, null);
    drawCharts(history);
    const eng = engine;
    const result = await trainLive(eng, { train: data.splits.train, validation: data.splits.validation }, {
      epochs,
      batch,
      patience,
      // As `qmoe train`: the shuffles' generator is derived from the seed, apart from the init draws.
      seed: shuffleSeed(seed),
      stopRequested: () => stopRequested,
      onEpoch: async (r, best) => {
        history.push(r);
        const s = (performance.now() - t0) / 1000;
        setStatus('training', `Training on the ${eng.kind === 'webgpu' ? 'GPU (WebGPU engine)' : 'CPU engine'}: epoch ${r.epoch}/${epochs}, validation accuracy ${pct(r.valAccuracy)}`, {
          epoch: r.epoch,
          valAccuracy: r.valAccuracy.toFixed(4),
        });
        progress.textContent = `${s.toFixed(1)} s, ${((1000 * s) / r.epoch).toFixed(0)} ms per epoch; best epoch ${best.bestEpoch}`;
        drawCharts(history);
        const now = performance.now();
        if (now - lastDraw > REDRAW_MS || r.epoch === 1) {
          await drawModel(view, eng, null);
          lastDraw = performance.now();
        }
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const params = await drawModel(view, eng, result.params);
    drawCircuit(spec, params);
    const scores = await testScores(eng, data);
    const c = countParams(spec);
    const eff = efficiency(scores.accuracy, c.total);
    const routerEff = efficiency(scores.accuracy, Math.max(1, c.router));
    const metrics = {
      dataset: data.source === 'moons' ? 'moons' : 'csv',
      router: spec.router,
      preset: spec.preset,
      backend: eng.kind,
      accuracy: scores.accuracy,
      f1: scores.f1,
      testLoss: scores.testLoss,
      testRows: scores.rows,
      validation: scores.validation,
      train: scores.train,
      params: c,
      paramsCounted: 'total',
      efficiency: eff,
      routerEfficiency: routerEff,
      epochs: result.epochsRun,
      bestEpoch: result.bestEpoch,
      stoppedEarly: result.stoppedEarly,
      seconds,
    };
    if (data.source === 'moons' && data.settings) {
      lastModel = savedModel({ spec, result, data: { ...data, settings: data.settings }, training: { backend: eng.kind, lr, epochs, batch, seed, patience, init }, metrics });
      $('download-note').textContent = '';
    } else {
      $('download-note').textContent = 'model.json (format version 1) records how to regenerate its data set, which only Two Moons can be for now: models trained on a CSV cannot be downloaded yet.';
    }
    const why = result.stoppedByRequest ? 'stopped' : result.stoppedEarly ? 'stopped early (patience)' : 'finished';
    setStatus('done', `Done (${why}): test accuracy ${pct(scores.accuracy)} on the ${eng.kind === 'webgpu' ? 'WebGPU' : 'CPU'} engine`, { testAccuracy: scores.accuracy.toFixed(4) });
    progress.textContent = `${result.epochsRun} epochs in ${seconds.toFixed(1)} s (${((1000 * seconds) / Math.max(1, result.epochsRun)).toFixed(0)} ms per epoch); parameters of epoch ${result.bestEpoch} kept`;
    showMetrics([
      ['engine', eng.kind === 'webgpu' ? `WebGPU (${status.dataset.adapter ?? 'GPU'})` : 'CPU (float64)'],
      ['data', data.title],
      ['model', `router ${ROUTER_NAMES[spec.router]}, ${spec.preset} preset, ${spec.experts} experts${spec.router === 'quantum' ? `, ${spec.qubits} qubits × ${spec.layers} layers` : ''}${spec.router === 'mlp' ? `, hidden ${spec.hidden.join(',')}` : ''}`],
      ['epochs', `${result.epochsRun} (best ${result.bestEpoch}${result.stoppedEarly ? ', stopped early' : ''}${result.stoppedByRequest ? ', stopped by you' : ''}), ${seconds.toFixed(1)} s`],
      ['test accuracy', `${pct(scores.accuracy)} (${scores.rows} rows), F1 ${scores.f1.toFixed(4)}, loss ${scores.testLoss.toFixed(4)}`],
      ['validation', `accuracy ${pct(scores.validation.accuracy)}, loss ${scores.validation.loss.toFixed(4)}`],
      ['train', `accuracy ${pct(scores.train.accuracy)}, loss ${scores.train.loss.toFixed(4)}`],
      ['parameters', `${c.total} (router ${c.router}, experts ${c.experts})`],
      ['efficiency', `${eff.toFixed(4)} = accuracy / ln(1 + ${c.total}); router only ${routerEff.toFixed(4)}`],
    ]);
  } catch (e) {
    setStatus('error', 'Error');
    runError.textContent = (e as Error).message;
    console.error(e);
  } finally {
    engine?.dispose();
    running = false;
    setButtons();
  }
}

function setButtons(): void {
  $<HTMLButtonElement>('train').disabled = running;
  $<HTMLButtonElement>('stop').disabled = !running;
  $<HTMLButtonElement>('download').disabled = running || !lastModel;
}

function download(): void {
  if (!lastModel) return;
  const blob = new Blob([modelJson(lastModel)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'model.json';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Loads a model.json (from the CLI or this page): sets the form, rebuilds its data, scores and draws it. */
async function loadModelFile(file: File): Promise<void> {
  if (running) return;
  runError.textContent = '';
  let engine: TrainingEngine | null = null;
  running = true;
  setButtons();
  try {
    let json: unknown;
    try {
      json = JSON.parse(await file.text());
    } catch (e) {
      throw new Error(`${file.name} is not valid JSON (${(e as Error).message}); is it a model.json written by qmoe train?`);
    }
    const model = validateModel(json, file.name);
    const spec = model.spec;
    (form.elements.namedItem('source') as RadioNodeList).value = 'moons';
    for (const [k, v] of Object.entries({ router: spec.router, preset: spec.preset, qubits: spec.qubits, layers: spec.layers, experts: spec.experts, hidden: spec.hidden.join(',') })) field(k).value = String(v);
    field('samples').value = String(model.dataset.samples);
    field('dataNoise').value = String(model.dataset.noise);
    field('dataSeed').value = String(model.dataset.seed);
    const t = model.training as Partial<SavedModel['training']>;
    for (const k of ['lr', 'epochs', 'batch', 'patience', 'seed'] as const) if (typeof t[k] === 'number') field(k).value = String(t[k]);
    if (t.init === 'uniform' || t.init === 'small') field('init').value = t.init;
    refreshSpec(model.params);
    const data = moonsData(spec.preset, { samples: model.dataset.samples, noise: model.dataset.noise, seed: model.dataset.seed }, model.scaler);
    const made = await makeEngine(spec, value('engine') as EngineChoice, t.lr ?? 0.01);
    engine = made.engine;
    if (made.note) runError.textContent = made.note;
    const params = Float64Array.from(model.params);
    await engine.setParams(params);
    await engine.load('train', data.splits.train);
    await engine.load('validation', data.splits.validation);
    const view = makeView(data, spec);
    await drawModel(view, engine, params);
    drawCharts([]);
    const scores = await testScores(engine, data);
    const c = countParams(spec);
    lastModel = model;
    setStatus('loaded', `Loaded ${file.name}: test accuracy ${pct(scores.accuracy)} on the ${engine.kind === 'webgpu' ? 'WebGPU' : 'CPU'} engine`, { testAccuracy: scores.accuracy.toFixed(4), engine: engine.kind });
    progress.textContent = typeof model.metrics.accuracy === 'number' ? `(the file records a test accuracy of ${pct(model.metrics.accuracy)}, ${String(model.training.backend)} engine)` : '';
    showMetrics([
      ['model file', `${file.name}: router ${ROUTER_NAMES[spec.router]}, ${spec.preset} preset, trained ${model.training.epochsRun ?? '?'} epochs on ${model.training.backend}`],
      ['data', data.title],
      ['test accuracy', `${pct(scores.accuracy)} (${scores.rows} rows), F1 ${scores.f1.toFixed(4)}, loss ${scores.testLoss.toFixed(4)}`],
      ['parameters', `${c.total} (router ${c.router}, experts ${c.experts})`],
      ['efficiency', `${efficiency(scores.accuracy, c.total).toFixed(4)}; router only ${efficiency(scores.accuracy, Math.max(1, c.router)).toFixed(4)}`],
    ]);
  } catch (e) {
    setStatus('error', 'Error');
    runError.textContent = (e as Error).message;
    console.error(e);
  } finally {
    engine?.dispose();
    running = false;
    setButtons();
  }
}

// ---------------------------------------------------------------- CSV input

function takeCsv(text: string, name: string): void {
  const info = $('csv-info');
  try {
    const parsed = parseCsv(text);
    csv = { parsed, name };
    const counts = parsed.classNames.map((c, k) => `${c}: ${parsed.labels.filter((l) => l === k).length}`).join(', ');
    info.innerHTML = `${parsed.rows} rows, ${parsed.classNames.length} classes (${counts})${parsed.header ? `, header ${parsed.header.join(', ')}` : ''}. Colors: ${parsed.classNames
      .map((c, k) => `<span style="color:${CLASS_COLORS[k % CLASS_COLORS.length]}">●</span> ${c}`)
      .join(' ')}`;
    info.classList.remove('error');
  } catch (e) {
    csv = null;
    info.textContent = (e as Error).message;
    info.classList.add('error');
  }
  refreshSpec();
}

function wireCsv(): void {
  const text = $<HTMLTextAreaElement>('csv-text');
  const drop = $('drop');
  const choose = () => ((form.elements.namedItem('source') as RadioNodeList).value = 'csv');
  text.addEventListener('input', () => takeCsv(text.value, 'pasted CSV'));
  $('csv-example').addEventListener('click', () => {
    text.value = exampleCsv();
    takeCsv(text.value, 'XOR example');
  });
  const readFile = async (file: File) => {
    text.value = await file.text();
    choose();
    takeCsv(text.value, file.name);
  };
  $<HTMLInputElement>('csv-file').addEventListener('change', (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) void readFile(f);
  });
  for (const target of [drop, text]) {
    target.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      drop.classList.add('over');
    });
    target.addEventListener('dragleave', () => drop.classList.remove('over'));
    target.addEventListener('drop', (ev) => {
      ev.preventDefault();
      drop.classList.remove('over');
      const f = (ev as DragEvent).dataTransfer?.files?.[0];
      if (f) void readFile(f);
    });
  }
}

// ---------------------------------------------------------------- start

/** Form values from the URL (e.g. ?router=quantum&preset=code&epochs=20), for links and tests. */
function applyQuery(): void {
  const q = new URLSearchParams(location.search);
  if (q.has('preset')) {
    field('preset').value = q.get('preset')!;
    applyPresetDefaults();
  }
  for (const [k, v] of q) {
    const f = form.elements.namedItem(k);
    if (f instanceof RadioNodeList) f.value = v;
    else if (f instanceof HTMLInputElement || f instanceof HTMLSelectElement) f.value = v;
  }
}

async function start(): Promise<void> {
  $('noise-note').textContent = 'depolarizing noise after the circuit gates (quantum router): trained noise-aware';
  drawMessage(boundaryCanvas, 'press Train');
  drawMessage(expertCanvas, 'press Train');
  drawCharts([]);
  wireCsv();
  form.addEventListener('input', (ev) => {
    const name = (ev.target as HTMLInputElement).name;
    if (name === 'preset') applyPresetDefaults();
    refreshSpec();
  });
  form.addEventListener('submit', (ev) => ev.preventDefault());
  $('preset-defaults').addEventListener('click', () => {
    applyPresetDefaults();
    refreshSpec();
  });
  $('train').addEventListener('click', () => void train());
  $('stop').addEventListener('click', () => {
    stopRequested = true;
    progress.textContent += ' (stopping after this epoch)';
  });
  $('download').addEventListener('click', download);
  $<HTMLInputElement>('load').addEventListener('change', (ev) => {
    const input = ev.target as HTMLInputElement;
    const f = input.files?.[0];
    if (f) void loadModelFile(f).finally(() => (input.value = ''));
  });
  applyQuery();
  refreshSpec();

  const banner = $('gpu-status');
  const a = await pageGpu();
  const choice = field('engine') as HTMLSelectElement;
  if (a.gpu) {
    const label = gpuLabel(a.gpu);
    status.dataset.adapter = label;
    const software = /swiftshader/i.test(label);
    banner.textContent = `WebGPU: ${label}. Training runs on the GPU with the WebGPU engine (the same WGSL kernels as Node)${software ? '; this is SwiftShader, a software adapter on the CPU: correct, not fast' : ''}.`;
    banner.dataset.gpu = 'webgpu';
  } else {
    banner.classList.add('notice');
    banner.textContent = `WebGPU is not available in this browser (${whyNoGpu(a)}). Training falls back to the CPU engine: float64 JavaScript, the same model and results, slower.`;
    banner.dataset.gpu = 'cpu';
    choice.value = 'cpu';
    (choice.querySelector('option[value="webgpu"]') as HTMLOptionElement).disabled = true;
  }
  document.body.dataset.ready = '1';
}

void start();
