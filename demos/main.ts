import { QmoeInputError } from '../src/errors.js';
import { clampLimit, DEFAULT_MS_PER_WORK, epochWork, LIMITS } from '../src/moe/limits.js';
import { countParams, modelCircuit } from '../src/moe/models.js';
import type { ModelSpec, Preset, RouterKind } from '../src/moe/spec.js';
import { modelJson, type SavedModel } from '../src/train/model-file.js';
import type { EpochRecord } from '../src/train/trainer.js';
import { circuitSvg, setCircuitParams } from './lib/circuit-svg.js';
import { exampleCsv } from './lib/data.js';
import { boundaryColors, CLASS_COLORS, drawLines, drawMap, EXPERT_COLORS, mapPosition, markerSvg, nearestPoint, routeColors, type MapAxes } from './lib/draw.js';
import type { DataView, EngineInfo, FromWorker, GpuReport, Maps, Scores, Setup, ToWorker } from './lib/protocol.js';
import { checkSetup, DEFAULT_SETUP, effectiveNoise, NUMBER_FIELDS, parseHidden, presetSetup, setupFromQuery, setupToQuery, specOf } from './lib/setup.js';

/**
 * The playground page. It only renders: the data, training, scores, maps and model-file checks
 * run in a Web Worker (demos/worker.ts) with the same src/ code as `qmoe train`, so the page
 * answers at once while a run goes on, and Stop, Pause and Step act within a batch.
 */

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
const status = $('status');
const progress = $('progress');
const runError = $('run-error');
const runNote = $('run-note');
const boundaryCanvas = $<HTMLCanvasElement>('boundary');
const expertCanvas = $<HTMLCanvasElement>('experts');
const lossChart = $<HTMLCanvasElement>('loss-chart');
const accChart = $<HTMLCanvasElement>('acc-chart');
const epochBar = $<HTMLProgressElement>('epoch-bar');

/** A stop that the worker does not acknowledge within this time ends the worker itself. */
const STOP_GRACE_MS = 1500;

type State = 'idle' | 'preparing' | 'training' | 'paused' | 'stopped' | 'done' | 'loaded' | 'error';
let state: State = 'idle';
let busy = false; // a run or a model load is in the worker
let gpu: GpuReport | null = null;
let view: DataView | null = null;
let maps: Maps | null = null;
let records: EpochRecord[] = [];
let lastModel: SavedModel | null = null;
/** What the results on the page belong to (a run's or a loaded file's setup: never the form's later edits). */
let shown: { setup: Setup; spec: ModelSpec; engine: EngineInfo; title: string } | null = null;
let pendingConfirm: Setup | null = null;
let stopTimer: ReturnType<typeof setTimeout> | undefined;
/** Measured time per unit of epochWork, per engine kind (src/moe/limits.ts). */
const msPerWork: Record<'cpu' | 'webgpu', number | null> = { cpu: null, webgpu: null };
let csvSummary: { rows: number; classes: number } | null = null;
let dataToken = 0;
let csvToken = 0;
let probeToken = 0;
let probeBusy = false;
let probeNext: { x: number; y: number } | null = null;

// ---------------------------------------------------------------- the worker

let worker: Worker;

function startWorker(): void {
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onWorker(ev.data);
  worker.onerror = (ev) => {
    setStatus('error', 'Error');
    runError.textContent = `the worker failed: ${ev.message}`;
    busy = false;
    setButtons();
  };
  send({ type: 'hello' });
}

function send(m: ToWorker): void {
  worker.postMessage(m);
}

/** Ends a worker that did not stop in time (a batch longer than STOP_GRACE_MS) and starts a fresh one. */
function restartWorker(): void {
  worker.terminate();
  probeBusy = false;
  probeNext = null;
  startWorker();
  const csv = csvText();
  if (csv.trim()) send({ type: 'csv', text: csv, name: 'pasted CSV', token: ++csvToken });
  busy = false;
  setStatus('done', 'Stopped.');
  progress.textContent = 'the worker did not answer within a batch, so it was ended; the last pictures stay. Hovering needs a new run.';
  epochBar.hidden = true;
  setButtons();
}

function onWorker(m: FromWorker): void {
  switch (m.type) {
    case 'gpu':
      showGpu(m.gpu);
      break;
    case 'data':
      if (m.token !== dataToken || busy) return;
      view = m.view;
      maps = null;
      drawMaps();
      if (state === 'error' && runError.dataset.kind === 'data') {
        setStatus('idle', 'Ready.');
        runError.textContent = '';
      }
      break;
    case 'data-error':
      if (m.token !== dataToken || busy) return;
      runError.textContent = m.message;
      runError.dataset.kind = 'data';
      break;
    case 'csv':
      onCsv(m);
      break;
    case 'phase':
      setStatus('preparing', m.text);
      break;
    case 'estimate':
      msPerWork[m.engine.kind] = m.msPerWork;
      if (m.needsConfirm) {
        busy = false;
        setStatus('idle', 'Waiting for you to confirm the run.');
        $('confirm-text').textContent = `Measured on the ${m.engine.label}: about ${duration(m.msPerEpoch)} per epoch, ${duration(m.msPerEpoch * m.epochs)} for ${m.epochs} epochs. Start anyway?`;
        $('confirm').hidden = false;
        setButtons();
      } else {
        progress.textContent = `about ${duration(m.msPerEpoch)} per epoch (measured)`;
      }
      updateEstimate();
      break;
    case 'started':
      records = [];
      view = m.view;
      maps = null;
      shown = { setup: m.setup, spec: m.spec, engine: m.engine, title: m.view.title };
      status.dataset.engine = m.engine.kind;
      runNote.textContent = m.engine.note ?? '';
      setStatus('training', `Training on the ${m.engine.label}…`, { epoch: 0, valAccuracy: 0, testAccuracy: '' });
      epochBar.hidden = false;
      epochBar.value = 0;
      drawMaps();
      drawCharts();
      drawCircuit(m.spec);
      break;
    case 'progress': {
      if (state === 'paused') return;
      const left = Math.max(0, (m.batches - m.batch) * m.msPerBatch);
      epochBar.value = m.batch / m.batches;
      const runLeft = left + Math.max(0, m.epochs - m.epoch) * (m.msPerBatch * m.batches);
      progress.textContent = `epoch ${m.epoch}/${m.epochs}, batch ${m.batch}/${m.batches}: ${duration(left)} left in this epoch, at most ${duration(runLeft)} for the run (${duration(m.elapsedMs)} so far)`;
      status.dataset.batch = String(m.batch);
      status.dataset.epochInProgress = String(m.epoch);
      break;
    }
    case 'epoch':
      records.push(m.record);
      msPerWork[status.dataset.engine === 'webgpu' ? 'webgpu' : 'cpu'] = m.msPerWork;
      if (state !== 'paused') {
        setStatus('training', `Training on the ${shown?.engine.label ?? 'engine'}: epoch ${m.record.epoch}/${shown?.setup.epochs}, validation accuracy ${pct(m.record.valAccuracy)}`, { epoch: m.record.epoch, valAccuracy: m.record.valAccuracy.toFixed(4) });
      } else {
        status.dataset.epoch = String(m.record.epoch);
        status.dataset.valAccuracy = m.record.valAccuracy.toFixed(4);
      }
      drawCharts();
      break;
    case 'maps':
      maps = m.maps;
      drawMaps();
      break;
    case 'paused':
      setStatus('paused', `Paused ${m.midEpoch ? `during epoch ${m.epoch}` : `after epoch ${m.epoch}`}. Step runs one more epoch; Resume goes on.`, { pausedEpoch: m.epoch, pauses: Number(status.dataset.pauses ?? 0) + 1 });
      setButtons();
      break;
    case 'stopping':
      // The worker got the stop: it ends within a batch, then scores the kept parameters.
      clearTimeout(stopTimer);
      stopTimer = setTimeout(() => busy && restartWorker(), 10 * STOP_GRACE_MS);
      setStatus('preparing', 'Stopping at the end of this batch…');
      break;
    case 'halted':
      // Training has ended (within a batch of the stop); the kept parameters are scored next.
      clearTimeout(stopTimer);
      stopTimer = setTimeout(() => busy && restartWorker(), 10 * STOP_GRACE_MS);
      epochBar.hidden = true;
      setStatus('stopped', `Stopped after ${m.epochsRun} epoch${m.epochsRun === 1 ? '' : 's'}: scoring the kept parameters${m.bestEpoch ? ` (epoch ${m.bestEpoch})` : ' (the initial ones)'} on the test split…`);
      break;
    case 'cancelled':
      clearTimeout(stopTimer);
      busy = false;
      setStatus('idle', m.text);
      setButtons();
      break;
    case 'resumed':
      if (state === 'paused') setStatus('training', `Training on the ${shown?.engine.label ?? 'engine'}…`);
      setButtons();
      break;
    case 'done':
      finishRun(m);
      break;
    case 'loaded':
      onLoaded(m);
      break;
    case 'refused':
      busy = false;
      runError.textContent = `${m.name} was not loaded: ${m.message}`;
      runError.dataset.kind = 'load';
      setButtons();
      break;
    case 'error':
      clearTimeout(stopTimer);
      busy = false;
      epochBar.hidden = true;
      setStatus('error', 'Error');
      runError.textContent = m.message;
      runError.dataset.kind = 'run';
      setButtons();
      break;
    case 'probe':
      probeBusy = false;
      if (m.token === probeToken) showProbe(m.x, m.y, m.probs, m.route);
      if (probeNext) {
        const p = probeNext;
        probeNext = null;
        requestProbe(p.x, p.y);
      }
      break;
  }
}

// ---------------------------------------------------------------- the form

function setStatus(s: State, text: string, data: Record<string, string | number> = {}): void {
  state = s;
  status.dataset.state = s;
  status.textContent = text;
  for (const [k, v] of Object.entries(data)) status.dataset[k] = String(v);
  setButtons();
}

/** Each number field's min and max from the limits table (src/moe/limits.ts), the one source of them. */
function applyLimitsToForm(): void {
  for (const [name, key] of Object.entries(NUMBER_FIELDS)) {
    const input = field(name) as HTMLInputElement;
    input.min = String(LIMITS[key].min);
    input.max = String(LIMITS[key].max);
  }
}

/** The form's setup; a field that is not a number or outside its limit throws, naming the field. */
function readSetup(): Setup {
  const v = (name: string) => {
    const f = form.elements.namedItem(name);
    return f instanceof RadioNodeList ? f.value : (f as HTMLInputElement).value;
  };
  const s = { ...DEFAULT_SETUP } as Setup;
  for (const k of ['source', 'router', 'preset', 'init', 'engine', 'expertsKind'] as const) (s as unknown as Record<string, string>)[k] = v(k);
  for (const [name, key] of Object.entries(NUMBER_FIELDS)) {
    const raw = v(name);
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new QmoeInputError(LIMITS[key].label, raw, 'must be a number');
    (s as unknown as Record<string, number>)[name] = n;
  }
  s.hidden = parseHidden(v('hidden'));
  return checkSetup(s);
}

function writeSetup(s: Setup): void {
  (form.elements.namedItem('source') as RadioNodeList).value = s.source;
  for (const k of ['router', 'preset', 'init', 'engine', 'expertsKind'] as const) field(k).value = s[k];
  for (const name of Object.keys(NUMBER_FIELDS)) field(name).value = String(s[name as keyof typeof NUMBER_FIELDS]);
  field('hidden').value = s.hidden.join(',');
}

function formNote(text: string): void {
  $('form-notes').textContent = text;
}

/** A number typed beyond its limit is clamped (with a note) when the field is left. */
function clampField(name: string): void {
  const key = NUMBER_FIELDS[name as keyof typeof NUMBER_FIELDS];
  if (!key) return;
  const input = field(name) as HTMLInputElement;
  if (input.value.trim() === '') return;
  const c = clampLimit(key, Number(input.value));
  if (c.note) {
    input.value = String(c.value);
    formNote(c.note);
  }
}

/** Which controls apply, the parameter count, the circuit, the URL and the estimate, whenever the form changes. */
function refreshForm(): void {
  const router = field('router').value as RouterKind;
  const quantum = router === 'quantum';
  for (const n of ['qubits', 'layers']) field(n).disabled = !quantum;
  field('hidden').disabled = router !== 'mlp';
  const quantumExperts = field('expertsKind').value === 'quantum';
  field('noiseRate').disabled = !quantum && !quantumExperts;
  const source = (form.elements.namedItem('source') as RadioNodeList).value;
  $('moons-options').hidden = source !== 'moons';
  $('csv-options').hidden = source !== 'csv';
  const noisy = [quantum ? 'the router circuit' : '', quantumExperts ? "the experts' circuits" : ''].filter((t) => t).join(' and ');
  $('noise-note').textContent = noisy
    ? `depolarizing noise in ${noisy} (${field('preset').value === 'paper' ? 'after every gate' : 'after the embedding and after the last layer'}); p > 0 trains noise-aware, at most ${LIMITS.noiseQubits.max} qubits`
    : 'applies to quantum circuits only: router B, or quantum experts';
  try {
    const s = readSetup();
    const spec = specOf(s, csvClasses(s));
    const c = countParams(spec);
    const routing = spec.routeShots ? `, routed by ${spec.routeShots} shots` : spec.topK && spec.topK < spec.experts ? `, top-${spec.topK}` : '';
    const experts = `${spec.experts} ${spec.expertsKind ?? 'linear'} expert${spec.experts === 1 ? '' : 's'}${routing}${spec.balance ? `, balance ${spec.balance}` : ''}`;
    $('param-count').textContent = `${c.total} parameters: router ${c.router}, experts ${c.experts} (${experts})`;
    $('spec-error').textContent = '';
    if (!busy) drawCircuit(spec);
    followUrl(s);
    updateEstimate(s, spec);
  } catch (e) {
    $('param-count').textContent = '';
    $('spec-error').textContent = (e as Error).message;
    $('estimate').textContent = '';
  }
}

/** The URL follows the form (shortly after the last change: browsers limit how often a page may rewrite it). */
let urlTimer: ReturnType<typeof setTimeout> | undefined;
function followUrl(s: Setup): void {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    const q = setupToQuery(s);
    history.replaceState(null, '', `${location.pathname}${q ? '?' + q : ''}`);
  }, 80);
}

function csvClasses(s: Setup): number {
  return s.source === 'csv' && csvSummary ? csvSummary.classes : 2;
}

/** The engine `auto` picks here, as src/train/select-engine.ts does. */
function likelyEngine(s: Setup): 'cpu' | 'webgpu' {
  if (s.engine === 'cpu' || !gpu?.available) return 'cpu';
  if (s.engine === 'auto' && gpu.software) return 'cpu';
  return effectiveNoise(s) > 0 ? 'cpu' : 'webgpu';
}

/** The time estimate under the buttons: the cost model of src/moe/limits.ts times the rate measured in this tab. */
function updateEstimate(s?: Setup, spec?: ModelSpec): void {
  try {
    s ??= readSetup();
    spec ??= specOf(s, csvClasses(s));
  } catch {
    return;
  }
  const rows = s.source === 'csv' ? (csvSummary?.rows ?? 0) : s.samples;
  if (!rows) return void ($('estimate').textContent = '');
  const kind = likelyEngine(s);
  const rate = msPerWork[kind] ?? (kind === 'cpu' ? DEFAULT_MS_PER_WORK : null);
  if (rate === null) {
    $('estimate').textContent = 'The time per epoch on the WebGPU engine is measured when a run starts.';
    return;
  }
  const ms = epochWork(spec, Math.round(rows * 0.7), Math.round(rows * 0.15), { p: effectiveNoise(s), trajectories: 8 }) * rate;
  const measured = msPerWork[kind] !== null ? 'rate measured in this tab' : 'rate of a 2-core machine, measured here when a run starts';
  $('estimate').textContent = `Estimate: ${duration(ms)} per epoch, at most ${duration(ms * s.epochs)} for ${s.epochs} epochs on the ${kind === 'cpu' ? 'CPU' : 'WebGPU'} engine (${measured}).`;
}

/** Data fields changed: ask the worker for the new data to draw (after a short pause in typing). */
let dataTimer: ReturnType<typeof setTimeout> | undefined;
function requestData(delay = 120): void {
  clearTimeout(dataTimer);
  dataTimer = setTimeout(() => {
    if (busy) return;
    // Only the data's own fields matter here: the data is drawn even while a model field is wrong.
    const v = (name: string) => Number((field(name) as HTMLInputElement).value);
    const setup: Setup = { ...DEFAULT_SETUP, source: (form.elements.namedItem('source') as RadioNodeList).value as Setup['source'], preset: field('preset').value as Preset, samples: v('samples'), dataNoise: v('dataNoise'), dataSeed: v('dataSeed') };
    send({ type: 'data', setup, token: ++dataToken });
  }, delay);
}

const DATA_FIELDS = new Set(['source', 'samples', 'dataNoise', 'dataSeed', 'preset']);

function applyPresetDefaults(): void {
  const s = presetSetup(field('preset').value as Preset, readLoose());
  for (const k of ['qubits', 'layers', 'experts', 'lr', 'epochs', 'batch', 'patience'] as const) field(k).value = String(s[k]);
  field('hidden').value = s.hidden.join(',');
}

/** The form's values without the checks (for partial updates). */
function readLoose(): Setup {
  try {
    return readSetup();
  } catch {
    return { ...DEFAULT_SETUP, preset: field('preset').value as Preset };
  }
}

// ---------------------------------------------------------------- pictures

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${(s / 3600).toFixed(1)} h`;
}

function axes(): MapAxes | null {
  if (!view) return null;
  return { grid: maps?.grid ?? view.grid, scaler: view.scaler, range: view.range };
}

function drawMaps(): void {
  const a = axes();
  if (!view || !a) return;
  const pts = { points: view.points, labels: view.labels, test: view.test };
  if (maps) {
    drawMap(boundaryCanvas, a, pts, 'classes', { nx: maps.grid.nx, ny: maps.grid.ny, color: boundaryColors(maps.probs, maps.classes) });
    const r = routeColors(maps.route, maps.experts, maps.grid.nx * maps.grid.ny);
    drawMap(expertCanvas, a, pts, 'dark', { nx: maps.grid.nx, ny: maps.grid.ny, color: r.color });
    $('expert-legend').innerHTML =
      r.share.map((s, e) => `<span><i style="background:${EXPERT_COLORS[e % EXPERT_COLORS.length]}"></i>expert ${e}: ${(100 * s).toFixed(0)}%</span>`).join('') +
      `<span class="hint">of the plane; points: the data, shaped by class</span>`;
    boundaryCanvas.dataset.drawn = expertCanvas.dataset.drawn = 'model';
  } else {
    drawMap(boundaryCanvas, a, pts, 'classes');
    drawMap(expertCanvas, a, pts, 'dark');
    $('expert-legend').innerHTML = '<span class="hint">The router\'s regions appear here when training starts.</span>';
    boundaryCanvas.dataset.drawn = expertCanvas.dataset.drawn = 'data';
  }
  const shownRows = view.labels.length < view.rows ? ` (${view.labels.length} of ${view.rows} drawn)` : '';
  $('class-legend').innerHTML =
    view.classNames.map((c, k) => `<span>${markerSvg(k)} class ${escapeHtml(c)}</span>`).join('') +
    `<span class="hint">${escapeHtml(view.title)}${shownRows}; outlined black: test rows. Tinted by P(class | x), ${maps ? 'white where unsure' : 'once a model exists'}.</span>`;
}

function drawCharts(): void {
  const empty = 'no epochs yet: press Train';
  drawLines(
    lossChart,
    [
      { name: 'train loss', color: '#3556c8', values: records.map((r) => r.trainLoss) },
      { name: 'validation loss', color: '#d9480f', values: records.map((r) => r.valLoss), dashed: true },
    ],
    { empty },
  );
  const accs = records.flatMap((r) => [r.trainAccuracy, r.valAccuracy]);
  drawLines(
    accChart,
    [
      { name: 'train accuracy', color: '#3556c8', values: records.map((r) => r.trainAccuracy) },
      { name: 'validation accuracy', color: '#d9480f', values: records.map((r) => r.valAccuracy), dashed: true },
    ],
    { yRange: [Math.min(0.5, ...accs.filter(Number.isFinite)), 1], percent: true, empty },
  );
}

const ROUTER_NAMES: Record<RouterKind, string> = { linear: 'A (linear)', quantum: 'B (quantum)', mlp: 'C (MLP)' };

const SCROLL_NOTE = ' Scroll the diagram sideways for every layer; the measurement stays on the right.';

/** Says that the diagram scrolls, when (after layout) it is wider than its box. */
function scrollNote(): void {
  const box = $('circuit');
  const note = $('circuit-note');
  const text = (note.textContent ?? '').replace(SCROLL_NOTE, '');
  note.textContent = box.scrollWidth > box.clientWidth + 1 ? text + SCROLL_NOTE : text;
}

/** The spec whose router is drawn now (a diagram is only rebuilt when the spec changes). */
let circuitKey = '';

/**
 * The router of `spec`: the circuit diagram (trained angles in the tooltips when `params` are
 * given), or the classical layers. The same spec again only updates the tooltips, with `params`,
 * or changes nothing: rebuilding a large diagram would stall the page.
 */
function drawCircuit(spec: ModelSpec, params?: ArrayLike<number>): void {
  const box = $('circuit');
  const meter = $('circuit-measure');
  const note = $('circuit-note');
  const key = JSON.stringify(spec);
  if (key === circuitKey) {
    const [from, to] = params ? ['as set in the form', 'trained'] : ['trained', 'as set in the form'];
    if (spec.router === 'quantum') setCircuitParams(box, params ?? null);
    note.textContent = note.textContent!.replace(new RegExp(`^${from}(: hover a gate for its angle)?`), params && spec.router === 'quantum' ? `${to}: hover a gate for its angle` : to);
    return;
  }
  circuitKey = key;
  if (spec.router !== 'quantum') {
    const widths = spec.router === 'linear' ? [spec.features, spec.experts] : [spec.features, ...spec.hidden, spec.experts];
    box.innerHTML = '';
    meter.innerHTML = '';
    note.textContent = `${params ? 'trained' : 'as set in the form'}: router ${ROUTER_NAMES[spec.router]} is classical, dense layers ${widths.join(' → ')}${spec.router === 'mlp' ? ' (ReLU)' : ''}, then softmax. Pick router B for a circuit.`;
    return;
  }
  const circuit = modelCircuit(spec);
  const measure = spec.preset === 'paper' ? `P(expert): ${spec.experts} blocks of ${2 ** spec.qubits} basis states` : `⟨Z⟩ per qubit → adapter → softmax`;
  const whose = params ? 'trained: hover a gate for its angle' : 'as set in the form';
  note.textContent = `${whose}. ${spec.qubits} qubits, ${spec.layers} layers, ${circuit.ops.length} gates, ${circuit.params} angles (${spec.preset} preset; blue: input features, orange: trainable). Output: ${measure}.`;
  const svg = circuitSvg(circuit, { params, measure: spec.preset === 'paper' ? 'P(e)' : '⟨Z⟩' });
  box.innerHTML = svg.gates;
  meter.innerHTML = svg.measure;
  requestAnimationFrame(scrollNote);
}

function showMetrics(rows: [string, string][], note: string): void {
  $('metrics').innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td>${escapeHtml(v)}</td></tr>`).join('');
  $('metrics-note').textContent = note;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function modelText(s: Setup, spec: ModelSpec): string {
  const noise = effectiveNoise(s) > 0 ? `, trained under noise p = ${s.noiseRate}` : '';
  return `router ${ROUTER_NAMES[spec.router]}, ${spec.preset} preset, ${spec.experts} expert${spec.experts === 1 ? '' : 's'}${spec.router === 'quantum' ? `, ${spec.qubits} qubits × ${spec.layers} layers` : ''}${spec.router === 'mlp' ? `, hidden ${spec.hidden.join(',')}` : ''}${noise}`;
}

function scoreRows(scores: Scores, spec: ModelSpec): [string, string][] {
  const c = countParams(spec);
  const eff = scores.accuracy / Math.log(1 + c.total);
  return [
    ['test accuracy', `${pct(scores.accuracy)} (${scores.testRows} rows), F1 ${scores.f1.toFixed(4)}, loss ${scores.testLoss.toFixed(4)}`],
    ['validation', `accuracy ${pct(scores.validation.accuracy)}, loss ${scores.validation.loss.toFixed(4)}`],
    ['train', `accuracy ${pct(scores.train.accuracy)}, loss ${scores.train.loss.toFixed(4)}${scores.trainDuringEpoch ? ' (during the kept epoch: a stopped run is not re-scored on the train split)' : ''}`],
    ['parameters', `${c.total} (router ${c.router}, experts ${c.experts})`],
    ['efficiency', `${eff.toFixed(4)} = accuracy / ln(1 + ${c.total}); router only ${(scores.accuracy / Math.log(1 + Math.max(1, c.router))).toFixed(4)}`],
  ];
}

function finishRun(m: Extract<FromWorker, { type: 'done' }>): void {
  clearTimeout(stopTimer);
  busy = false;
  epochBar.hidden = true;
  lastModel = m.model;
  $('download-note').textContent = m.downloadNote;
  const sh = shown!;
  const how = m.how === 'stopped' ? 'stopped' : m.how === 'early' ? 'stopped early (patience)' : 'finished';
  setStatus('done', `Done (${how}): test accuracy ${pct(m.scores.accuracy)} on the ${sh.engine.kind === 'webgpu' ? 'WebGPU' : 'CPU'} engine`, { testAccuracy: m.scores.accuracy.toFixed(4) });
  progress.textContent = `${m.epochsRun} epoch${m.epochsRun === 1 ? '' : 's'} in ${m.seconds.toFixed(1)} s (${duration((1000 * m.seconds) / Math.max(1, m.epochsRun))} per epoch); parameters of epoch ${m.bestEpoch} kept`;
  drawCircuit(sh.spec, m.params);
  showMetrics(
    [
      ['engine', sh.engine.label],
      ['data', sh.title],
      ['model', modelText(sh.setup, sh.spec)],
      ['epochs', `${m.epochsRun} (best ${m.bestEpoch}${m.how === 'early' ? ', stopped early' : ''}${m.how === 'stopped' ? ', stopped by you' : ''}), ${m.seconds.toFixed(1)} s`],
      ...scoreRows(m.scores, sh.spec),
    ],
    'of the last run (its own settings, whatever the form says now)',
  );
  setButtons();
}

function onLoaded(m: Extract<FromWorker, { type: 'loaded' }>): void {
  busy = false;
  writeSetup(m.setup);
  refreshForm();
  formNote(m.notes.join('; '));
  view = m.view;
  maps = null;
  records = [];
  lastModel = m.model;
  shown = { setup: m.setup, spec: m.spec, engine: m.engine, title: m.view.title };
  status.dataset.engine = m.engine.kind;
  runError.textContent = '';
  runNote.textContent = m.engine.note ?? '';
  const t = m.model.training;
  const noise = t.gateNoise && t.gateNoise.p > 0 ? `, under noise p = ${t.gateNoise.p} (${t.gateNoise.placement}, as trained)` : '';
  setStatus('loaded', `Loaded ${m.name}: test accuracy ${pct(m.scores.accuracy)} on the ${m.engine.kind === 'webgpu' ? 'WebGPU' : 'CPU'} engine${noise}`, { testAccuracy: m.scores.accuracy.toFixed(4), noiseRate: t.gateNoise?.p ?? 0 });
  const recorded = typeof m.model.metrics.accuracy === 'number' ? `the file records a test accuracy of ${pct(m.model.metrics.accuracy)}` : 'the file records no test accuracy';
  progress.textContent = `(${recorded}, trained on the ${String(m.model.metrics.engine ?? t.backend)} engine)`;
  drawMaps();
  drawCharts();
  drawCircuit(m.spec, m.params);
  showMetrics(
    [
      ['model file', `${m.name}: trained ${t.epochsRun ?? '?'} epochs on the ${String(m.model.metrics.engine ?? t.backend)} engine${t.gateNoise?.p ? `, noise-aware at p = ${t.gateNoise.p}` : ', without noise'}`],
      ['evaluated on', m.engine.label],
      ['data', m.view.title],
      ['model', modelText(m.setup, m.spec)],
      ...scoreRows(m.scores, m.spec),
    ],
    'of the loaded file',
  );
  setButtons();
}

function setButtons(): void {
  const running = busy;
  for (const id of ['fs-data', 'fs-model', 'fs-training']) ($(id) as HTMLFieldSetElement).disabled = running;
  $<HTMLButtonElement>('train').disabled = running;
  $<HTMLButtonElement>('stop').disabled = !running || state === 'stopped';
  $<HTMLButtonElement>('pause').disabled = !running || state === 'preparing' || state === 'stopped';
  $<HTMLButtonElement>('pause').textContent = state === 'paused' ? 'Resume' : 'Pause';
  $<HTMLButtonElement>('step').disabled = !(running && state === 'paused');
  $<HTMLButtonElement>('download').disabled = running || !lastModel;
  $('load-label').classList.toggle('disabled', running);
  $<HTMLInputElement>('load').disabled = running;
}

// ---------------------------------------------------------------- actions

function train(confirmed = false): void {
  if (busy) return;
  runError.textContent = '';
  $('confirm').hidden = true;
  let s: Setup;
  try {
    s = confirmed && pendingConfirm ? pendingConfirm : readSetup();
    specOf(s, csvClasses(s));
    if (s.source === 'csv' && !csvSummary) throw new Error('no CSV data yet: paste rows (x1, x2, label) into the box or drop a file');
  } catch (e) {
    setStatus('error', 'Not started');
    runError.textContent = (e as Error).message;
    runError.dataset.kind = 'form';
    return;
  }
  pendingConfirm = s;
  busy = true;
  lastModel = null;
  setStatus('preparing', 'Starting…', { epoch: 0, valAccuracy: 0, testAccuracy: '' });
  progress.textContent = '';
  setButtons();
  send({ type: 'train', setup: s, confirmed });
}

function stop(): void {
  if (!busy) return;
  send({ type: 'control', action: 'stop' });
  progress.textContent += ' (stopping…)';
  clearTimeout(stopTimer);
  stopTimer = setTimeout(() => {
    if (busy) restartWorker();
  }, STOP_GRACE_MS);
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

async function loadModelFile(file: File): Promise<void> {
  if (busy) {
    runError.textContent = `${file.name} was not loaded: stop the run first`;
    return;
  }
  busy = true;
  setButtons();
  runError.textContent = '';
  let engine = 'auto';
  try {
    engine = readSetup().engine;
  } catch {
    engine = field('engine').value;
  }
  send({ type: 'load', text: await file.text(), name: file.name, engine: engine as Setup['engine'] });
}

// ---------------------------------------------------------------- CSV input

function onCsv(m: Extract<FromWorker, { type: 'csv' }>): void {
  if (m.token !== csvToken) return;
  const info = $('csv-info');
  if (!m.ok) {
    csvSummary = null;
    info.textContent = m.message;
    info.classList.add('error');
  } else {
    csvSummary = { rows: m.rows, classes: m.classNames.length };
    const counts = m.classNames.map((c, k) => `${markerSvg(k, CLASS_COLORS[k % CLASS_COLORS.length])} ${escapeHtml(c)}: ${m.counts[k]}`).join(', ');
    info.innerHTML = `${m.rows} rows, ${m.classNames.length} classes (${counts})${m.header ? `, header ${escapeHtml(m.header.join(', '))}` : ''}.`;
    info.classList.remove('error');
  }
  refreshForm();
  requestData(0);
}

/**
 * A CSV longer than this (characters) is held in memory, and the box shows only its first lines,
 * read-only: a browser's text box with 100k rows takes about a second per keystroke.
 */
const LARGE_CSV = 200_000;
const PREVIEW_LINES = 50;
let heldCsv: string | null = null;

function csvText(): string {
  return heldCsv ?? $<HTMLTextAreaElement>('csv-text').value;
}

/** Puts CSV text in the box (or, when large, a preview of it) and has the worker parse it. */
function putCsv(text: string, name: string, delay = 0): void {
  const box = $<HTMLTextAreaElement>('csv-text');
  if (text.length > LARGE_CSV) {
    heldCsv = text;
    const head = text.split('\n', PREVIEW_LINES).join('\n');
    box.value = `${head}\n… the first ${PREVIEW_LINES} lines of ${name} (${(text.length / 1e6).toFixed(1)} MB, held in memory, used whole). Clear the box to type your own.`;
    box.readOnly = true;
  } else {
    heldCsv = null;
    box.readOnly = false;
    if (box.value !== text) box.value = text;
  }
  $('csv-clear').hidden = heldCsv === null;
  takeCsv(text, name, delay);
}

let csvTimer: ReturnType<typeof setTimeout> | undefined;
function takeCsv(text: string, name: string, delay = 0): void {
  clearTimeout(csvTimer);
  csvTimer = setTimeout(() => send({ type: 'csv', text, name, token: ++csvToken }), delay);
  $('csv-info').textContent = 'reading…';
  $('csv-info').classList.remove('error');
}

function useCsvSource(): void {
  (form.elements.namedItem('source') as RadioNodeList).value = 'csv';
  refreshForm();
}

async function takeFile(file: File): Promise<void> {
  if (/\.json$/i.test(file.name) || file.type === 'application/json') return loadModelFile(file);
  if (busy) {
    runError.textContent = `${file.name} was not used: stop the run first`;
    return;
  }
  useCsvSource();
  putCsv(await file.text(), file.name);
}

function wireInputs(): void {
  const text = $<HTMLTextAreaElement>('csv-text');
  // Parsing happens in the worker, after a pause in typing: keystrokes in a 100k-row box stay fast.
  text.addEventListener('input', (ev) => {
    ev.stopPropagation();
    if (text.value.length > LARGE_CSV) putCsv(text.value, 'pasted CSV');
    else takeCsv(text.value, 'pasted CSV', 300);
  });
  text.addEventListener('paste', (ev) => {
    const pasted = ev.clipboardData?.getData('text') ?? '';
    if (pasted.length <= LARGE_CSV) return;
    ev.preventDefault(); // a large paste replaces the box's content, without filling the box
    putCsv(pasted, 'pasted CSV');
  });
  $('csv-example').addEventListener('click', () => putCsv(exampleCsv(), 'XOR example'));
  $('csv-clear').addEventListener('click', () => {
    putCsv('', 'pasted CSV');
    text.focus();
  });
  $<HTMLInputElement>('csv-file').addEventListener('change', (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) void takeFile(f);
  });
  // Drag and drop anywhere on the page: a .csv becomes the data, a .json is loaded as a model.
  const overlay = $('drop-overlay');
  let depth = 0;
  document.addEventListener('dragenter', (ev) => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    depth++;
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  document.addEventListener('dragover', (ev) => ev.preventDefault());
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    depth = 0;
    overlay.hidden = true;
    const f = ev.dataTransfer?.files?.[0];
    if (f) void takeFile(f);
  });
}

// ---------------------------------------------------------------- hover

function requestProbe(x: number, y: number): void {
  if (probeBusy) {
    probeNext = { x, y };
    return;
  }
  probeBusy = true;
  send({ type: 'probe', x, y, token: ++probeToken });
}

let hover: { canvas: HTMLCanvasElement; px: number; py: number; raw: [number, number]; point: number } | null = null;

function showProbe(_x: number, _y: number, probs: number[], route: number[]): void {
  if (!hover || !view || !maps || probs.length === 0) return;
  const tip = $('tooltip');
  const cls = probs.map((p, k) => `<tr><td>${markerSvg(k)} ${escapeHtml(view!.classNames[k] ?? String(k))}</td><td>${bar(p, CLASS_COLORS[k % CLASS_COLORS.length])}</td><td>${p.toFixed(3)}</td></tr>`).join('');
  const exp = route.map((p, e) => `<tr><td><i class="sw" style="background:${EXPERT_COLORS[e % EXPERT_COLORS.length]}"></i> expert ${e}</td><td>${bar(p, EXPERT_COLORS[e % EXPERT_COLORS.length])}</td><td>${p.toFixed(3)}</td></tr>`).join('');
  tip.innerHTML = `${tipHead()}<table><tr><th colspan="3">P(class | x)</th></tr>${cls}<tr><th colspan="3">P(expert | x), the router</th></tr>${exp}</table>`;
  tip.dataset.probe = JSON.stringify({ probs, route });
  placeTip();
}

function tipHead(): string {
  if (!hover || !view) return '';
  const at = `x1 = ${hover.raw[0].toFixed(3)}, x2 = ${hover.raw[1].toFixed(3)}`;
  if (hover.point < 0) return `<div>${at}</div>`;
  const k = view.labels[hover.point];
  return `<div>${at}</div><div>data point: class ${escapeHtml(view.classNames[k] ?? String(k))}${view.test[hover.point] ? ' (test row)' : ''}</div>`;
}

function bar(p: number, color: string): string {
  return `<span class="bar"><span style="width:${Math.round(100 * Math.min(1, Math.max(0, p)))}%;background:${color}"></span></span>`;
}

function placeTip(): void {
  if (!hover) return;
  const tip = $('tooltip');
  tip.hidden = false;
  const r = hover.canvas.getBoundingClientRect();
  tip.style.left = `${Math.min(window.innerWidth - 260, r.left + window.scrollX + hover.px + 14)}px`;
  tip.style.top = `${r.top + window.scrollY + hover.py + 14}px`;
}

function wireHover(): void {
  for (const canvas of [boundaryCanvas, expertCanvas]) {
    canvas.addEventListener('mousemove', (ev) => {
      const a = axes();
      if (!a || !view) return;
      const pos = mapPosition(canvas, a, ev.offsetX, ev.offsetY);
      if (!pos) {
        hover = null;
        $('tooltip').hidden = true;
        return;
      }
      hover = { canvas, px: ev.offsetX, py: ev.offsetY, raw: pos.raw, point: nearestPoint(canvas, a, view, ev.offsetX, ev.offsetY) };
      if (maps) requestProbe(pos.x, pos.y);
      else {
        $('tooltip').innerHTML = `${tipHead()}<div class="hint">probabilities appear once a model exists</div>`;
        placeTip();
      }
    });
    canvas.addEventListener('mouseleave', () => {
      hover = null;
      $('tooltip').hidden = true;
    });
  }
}

// ---------------------------------------------------------------- start

function showGpu(g: GpuReport): void {
  gpu = g;
  const banner = $('gpu-status');
  const webgpu = field('engine').querySelector('option[value="webgpu"]') as HTMLOptionElement;
  if (g.available) {
    status.dataset.adapter = g.label;
    banner.textContent = g.software
      ? `WebGPU: ${g.label}, a software adapter on the CPU (SwiftShader). "auto" trains on the CPU engine here, which is faster than a software GPU for these models (as qmoe train --backend auto); choose WebGPU to use it anyway.`
      : `WebGPU: ${g.label}. "auto" trains on the GPU with the WebGPU engine (the same WGSL kernels as Node).`;
    banner.dataset.gpu = 'webgpu';
    banner.dataset.software = String(g.software);
  } else {
    banner.classList.add('notice');
    banner.textContent = `WebGPU is not available in this browser (${g.why}). Training falls back to the fast CPU engine (float32, WebAssembly SIMD, Web Workers on every core): the same model, slower than a GPU.`;
    banner.dataset.gpu = 'cpu';
    webgpu.disabled = true;
    if (field('engine').value === 'webgpu') field('engine').value = 'auto';
  }
  updateEstimate();
  document.body.dataset.ready = '1';
}

function start(): void {
  applyLimitsToForm();
  const { setup, notes } = setupFromQuery(location.search);
  writeSetup(setup);
  if (notes.length) {
    $('link-notes').hidden = false;
    $('link-notes').textContent = `This link's settings were adjusted: ${notes.join('; ')}.`;
    $('link-notes').dataset.notes = String(notes.length);
  }
  startWorker();
  wireInputs();
  wireHover();
  form.addEventListener('input', (ev) => {
    const name = (ev.target as HTMLInputElement).name;
    if (name === 'preset') applyPresetDefaults();
    if (name) formNote('');
    // A confirmation belongs to the setup it measured: a changed form asks again.
    if (!$('confirm').hidden) {
      $('confirm').hidden = true;
      pendingConfirm = null;
      setStatus('idle', 'Ready.');
    }
    refreshForm();
    if (DATA_FIELDS.has(name)) requestData();
  });
  form.addEventListener('change', (ev) => {
    const name = (ev.target as HTMLInputElement).name;
    if (!name) return;
    clampField(name);
    refreshForm();
    if (DATA_FIELDS.has(name)) requestData(0);
  });
  form.addEventListener('submit', (ev) => ev.preventDefault());
  $('preset-defaults').addEventListener('click', () => {
    applyPresetDefaults();
    refreshForm();
  });
  $('train').addEventListener('click', () => train());
  $('stop').addEventListener('click', stop);
  $('pause').addEventListener('click', () => send({ type: 'control', action: state === 'paused' ? 'resume' : 'pause' }));
  $('step').addEventListener('click', () => send({ type: 'control', action: 'step' }));
  $('confirm-start').addEventListener('click', () => train(true));
  $('confirm-cancel').addEventListener('click', () => {
    $('confirm').hidden = true;
    pendingConfirm = null;
    setStatus('idle', 'Ready.');
  });
  $('download').addEventListener('click', download);
  $<HTMLInputElement>('load').addEventListener('change', (ev) => {
    const input = ev.target as HTMLInputElement;
    const f = input.files?.[0];
    if (f) void loadModelFile(f).finally(() => (input.value = ''));
  });
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      drawCharts();
      drawMaps();
      scrollNote();
    }, 100);
  });
  refreshForm();
  drawCharts();
  requestData(0);
  setButtons();
}

start();
