import { QmoeInputError } from '../../src/errors.js';
import { checkLimit, clampLimit, type LimitKey } from '../../src/moe/limits.js';
import { INITS, makeSpec, presetDefaults, PRESETS, ROUTERS, type InitKind } from '../../src/moe/models.js';
import { EXPERTS_KINDS, quantumParts } from '../../src/moe/mixture-spec.js';
import type { ModelSpec, Preset } from '../../src/moe/spec.js';
import type { SavedModel } from '../../src/train/model-file.js';
import { presetTraining } from '../../src/train/trainer.js';
import type { EngineChoice, Setup } from './protocol.js';

/**
 * A playground run's settings (Setup): the defaults, the checks against the limits table
 * (src/moe/limits.ts; the form, the URL and loaded model files all go through here), and the
 * URL form of a setup (only what differs from the defaults, so links stay short and round-trip).
 */

export const ENGINES: readonly EngineChoice[] = ['auto', 'webgpu', 'cpu'];
const SOURCES = ['moons', 'csv'] as const;

/** The defaults of a preset: the study's model sizes and training settings, as `qmoe train` uses them. */
export function presetSetup(preset: Preset, base: Setup = DEFAULT_SETUP): Setup {
  const d = presetDefaults(preset, 2);
  const t = presetTraining(preset);
  return { ...base, preset, qubits: d.qubits, layers: d.layers, experts: d.experts, hidden: d.hidden, lr: t.lr, epochs: t.epochs, batch: t.batch, patience: t.patience };
}

export const DEFAULT_SETUP: Setup = {
  source: 'moons',
  samples: 1000,
  dataNoise: 0.1,
  dataSeed: 42,
  router: 'quantum',
  preset: 'paper',
  qubits: 2,
  layers: 12,
  experts: 4,
  hidden: [16, 8, 4],
  expertsKind: 'linear',
  topK: 0,
  routeShots: 0,
  balance: 0,
  noiseRate: 0,
  lr: 0.01,
  epochs: 100,
  batch: 32,
  patience: 10,
  seed: 0,
  init: 'uniform',
  engine: 'auto',
};

/** The numeric fields of a Setup and their entries in the limits table. */
export const NUMBER_FIELDS: Record<Exclude<keyof Setup, 'source' | 'router' | 'preset' | 'hidden' | 'init' | 'engine' | 'expertsKind'>, LimitKey> = {
  samples: 'samples',
  dataNoise: 'dataNoise',
  dataSeed: 'dataSeed',
  qubits: 'qubits',
  layers: 'layers',
  experts: 'experts',
  topK: 'topK',
  routeShots: 'routeShots',
  balance: 'balance',
  noiseRate: 'noiseRate',
  lr: 'lr',
  epochs: 'epochs',
  batch: 'batch',
  patience: 'patience',
  seed: 'seed',
};

const CHOICES: Record<'source' | 'router' | 'preset' | 'init' | 'engine' | 'expertsKind', readonly string[]> = { source: SOURCES, router: ROUTERS, preset: PRESETS, init: INITS, engine: ENGINES, expertsKind: EXPERTS_KINDS };

/** "16,8,4" -> [16, 8, 4], checked against the MLP limits. */
export function parseHidden(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p))) throw new QmoeInputError('MLP hidden', text, 'must be comma-separated positive integers, e.g. 16,8');
  const widths = parts.map(Number);
  checkLimit('hiddenLayers', widths.length, 'MLP hidden (layers)');
  widths.forEach((w, i) => checkLimit('hiddenWidth', w, `MLP hidden (layer ${i + 1})`));
  return widths;
}

/**
 * Checks a whole setup against the limits table and the rules between fields; throws a
 * QmoeInputError naming the form's field. Returns the setup.
 */
export function checkSetup(s: Setup): Setup {
  for (const [k, choices] of Object.entries(CHOICES)) {
    const v = s[k as keyof typeof CHOICES];
    if (!choices.includes(v)) throw new QmoeInputError(k, v, `must be one of ${choices.join(', ')}`);
  }
  for (const [field, key] of Object.entries(NUMBER_FIELDS)) checkLimit(key, s[field as keyof typeof NUMBER_FIELDS]);
  if (!Array.isArray(s.hidden)) throw new QmoeInputError('MLP hidden', s.hidden, 'must be a list of widths');
  checkLimit('hiddenLayers', s.hidden.length, 'MLP hidden (layers)');
  s.hidden.forEach((w, i) => checkLimit('hiddenWidth', w, `MLP hidden (layer ${i + 1})`));
  if (s.router === 'quantum') {
    if (s.qubits < 2) throw new QmoeInputError('qubits', s.qubits, 'the quantum router embeds one feature per qubit: at least 2 for 2 features');
    if (s.preset === 'code' && s.layers < 1) throw new QmoeInputError('layers', s.layers, 'the code preset needs at least 1 layer');
    if (s.preset === 'paper' && s.experts > 2 ** s.qubits) {
      throw new QmoeInputError('experts', s.experts, `the paper preset's experts are blocks of the 2^${s.qubits} = ${2 ** s.qubits} basis states: at most ${2 ** s.qubits} (or more qubits)`);
    }
    if (s.noiseRate > 0) checkLimit('noiseQubits', s.qubits, `qubits (with noise rate p = ${s.noiseRate})`);
  }
  return s;
}

/** Checks the fields that make the data (source, samples, data noise and seed, preset): the data can be drawn while the model's fields are still wrong. */
export function checkDataSetup(s: Setup): Setup {
  if (!(SOURCES as readonly string[]).includes(s.source)) throw new QmoeInputError('source', s.source, `must be one of ${SOURCES.join(', ')}`);
  if (!(PRESETS as readonly string[]).includes(s.preset)) throw new QmoeInputError('preset', s.preset, `must be one of ${PRESETS.join(', ')}`);
  for (const k of ['samples', 'dataNoise', 'dataSeed'] as const) checkLimit(NUMBER_FIELDS[k], s[k]);
  return s;
}

/** The model of a setup (2 features, `classes` classes); errors name the form's fields. */
export function specOf(s: Setup, classes: number): ModelSpec {
  checkLimit('classes', classes);
  try {
    // Sparse routing and balance: 0 is off (the dense study model).
    const mixture = { expertsKind: s.expertsKind, topK: s.topK > 0 ? s.topK : undefined, routeShots: s.routeShots > 0 ? s.routeShots : undefined, balance: s.balance > 0 ? s.balance : undefined };
    return makeSpec({ router: s.router, preset: s.preset, features: 2, classes, experts: s.experts, qubits: s.qubits, layers: s.layers, hidden: s.hidden, ...mixture });
  } catch (e) {
    if (e instanceof QmoeInputError) throw new QmoeInputError(e.argument.replace(/^--/, ''), e.value, e.limit);
    throw e;
  }
}

/** The noise rate the run trains under: only the quantum circuits (router, experts) can be noisy. */
export function effectiveNoise(s: Setup): number {
  return quantumParts(s).length > 0 ? s.noiseRate : 0;
}

function encode(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** The URL query of a setup: the preset, then every field that differs from that preset's defaults. */
export function setupToQuery(s: Setup): string {
  const base = presetSetup(s.preset);
  const q = new URLSearchParams();
  if (s.preset !== DEFAULT_SETUP.preset) q.set('preset', s.preset);
  for (const k of Object.keys(DEFAULT_SETUP) as (keyof Setup)[]) {
    if (k === 'preset') continue;
    if (encode(s[k]) !== encode(base[k])) q.set(k, encode(s[k]));
  }
  return q.toString();
}

/**
 * A setup from a URL query: the preset's defaults, then each known parameter. Numbers outside
 * the limits are clamped and unknown values replaced by the default, each with a note that says so.
 */
export function setupFromQuery(query: string): { setup: Setup; notes: string[] } {
  const q = new URLSearchParams(query);
  const notes: string[] = [];
  let preset = DEFAULT_SETUP.preset;
  const p = q.get('preset');
  if (p !== null) {
    if ((PRESETS as readonly string[]).includes(p)) preset = p as Preset;
    else notes.push(`preset: ${JSON.stringify(p)} is not one of ${PRESETS.join(', ')}; kept ${preset}`);
  }
  const s: Setup = presetSetup(preset);
  for (const [k, raw] of q) {
    if (k === 'preset') continue;
    if (k in CHOICES) {
      const choices = CHOICES[k as keyof typeof CHOICES];
      if (choices.includes(raw)) (s as unknown as Record<string, string>)[k] = raw;
      else notes.push(`${k}: ${JSON.stringify(raw)} is not one of ${choices.join(', ')}; kept ${(s as unknown as Record<string, string>)[k]}`);
    } else if (k in NUMBER_FIELDS) {
      const key = NUMBER_FIELDS[k as keyof typeof NUMBER_FIELDS];
      const v = raw.trim() === '' ? Number.NaN : Number(raw);
      const c = clampLimit(key, v);
      (s as unknown as Record<string, number>)[k] = c.value;
      if (c.note) notes.push(c.note);
    } else if (k === 'hidden') {
      try {
        s.hidden = parseHidden(raw);
      } catch (e) {
        notes.push(`${(e as Error).message}; kept ${s.hidden.join(',')}`);
      }
    } else {
      notes.push(`${k}: not a setting of the playground; ignored`);
    }
  }
  return { setup: s, notes };
}

/**
 * The form's setup for a loaded model file: its spec and data settings (already checked against
 * the limits), its training settings where it records them (clamped, with notes), its noise rate.
 */
export function setupFromModel(m: SavedModel, engine: EngineChoice): { setup: Setup; notes: string[] } {
  const notes: string[] = [];
  const t = m.training as Partial<SavedModel['training']>;
  const s: Setup = {
    ...presetSetup(m.spec.preset),
    source: 'moons',
    samples: m.dataset.samples,
    dataNoise: m.dataset.noise,
    dataSeed: m.dataset.seed,
    router: m.spec.router,
    preset: m.spec.preset,
    experts: m.spec.experts,
    noiseRate: t.gateNoise?.p ?? 0,
    engine,
  };
  if (m.spec.router === 'quantum') Object.assign(s, { qubits: m.spec.qubits, layers: m.spec.layers });
  if (m.spec.router === 'mlp') s.hidden = [...m.spec.hidden];
  Object.assign(s, { expertsKind: m.spec.expertsKind ?? 'linear', topK: m.spec.topK ?? 0, routeShots: m.spec.routeShots ?? 0, balance: m.spec.balance ?? 0 });
  for (const k of ['lr', 'epochs', 'batch', 'patience', 'seed'] as const) {
    const v = t[k];
    if (typeof v !== 'number') continue;
    const c = clampLimit(NUMBER_FIELDS[k], v);
    s[k] = c.value;
    if (c.note) notes.push(`the file's training ${c.note}`);
  }
  if (t.init === 'uniform' || t.init === 'small') s.init = t.init as InitKind;
  return { setup: s, notes };
}
