import { createHash } from 'node:crypto';
import { QmoeInputError, checkInt } from '../errors.js';
import { checkSeed } from '../data/rng.js';
import { INITS, PRESETS, countParams, validateSpec } from '../moe/models.js';
import type { Preset } from '../moe/spec.js';
import { MAX_TRAJECTORIES } from '../noise/trajectories-cpu.js';
import { canonical, type RunConfig } from '../experiments/runner.js';
import type { NoiseRunConfig } from '../experiments/noise-run.js';
import { DATASETS } from '../train/dataset.js';
import { ENGINE_CHOICES, type EngineChoice } from '../train/select-engine.js';

/**
 * A run spec: everything one training run of a study needs, as plain JSON, so that this process,
 * a local worker process, a BullMQ worker on another machine or a Slurm array task can run it and
 * write the same DIR/runs/ID.json. The id is the readable name plus a hash of the configuration
 * and the seed: the same run has the same id whoever expands the study, and a run of another
 * configuration (data, model, budget, noise) has another id, so finished runs are found by name.
 * The engine (`backend`) is how the run is made, not what it is: it is not part of the id.
 */
export interface RunSpec {
  format: typeof RUN_SPEC_FORMAT;
  version: 1;
  /** `${name}-${hash}`: the run's file is DIR/runs/<id>.json. */
  id: string;
  /** Readable name inside the study, e.g. "quantum-seed0" (the file name before stable ids). */
  name: string;
  study: StudyName;
  /** Runs of one kind share a measured time per epoch (the ETA): the router or the sweep point. */
  kind: string;
  /** Name in the progress, e.g. "B quantum seed 0". */
  label: string;
  seed: number;
  /** The preset whose angle range scales the data (prepareData). */
  preset: Preset;
  /** --backend of the study command; noise-sweep runs use the CPU engine. */
  backend: EngineChoice;
  /** What determines the result (with the seed): compared with a stored run on resume. */
  config: RunConfig | NoiseRunConfig;
}

export const RUN_SPEC_FORMAT = 'qmoe-run-spec';
export const STUDIES = ['ablation', 'sweep', 'noise-sweep'] as const;
export type StudyName = (typeof STUDIES)[number];

/** Hex digits of the hash in an id: 64 bits, no collision among any number of runs a study has. */
export const HASH_DIGITS = 16;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const PLACEMENTS = ['every-gate', 'embedding-output'];

/** The hash of a run's configuration and seed (sorted-key JSON, SHA-256, first HASH_DIGITS hex digits). */
export function runHash(config: RunConfig, seed: number): string {
  return createHash('sha256').update(canonical({ config, seed })).digest('hex').slice(0, HASH_DIGITS);
}

/** A run spec with its id. */
export function makeRunSpec(o: Omit<RunSpec, 'format' | 'version' | 'id'>): RunSpec {
  if (!NAME.test(o.name)) throw new QmoeInputError('run name', o.name, 'must be letters, digits, ".", "_" or "-" (at most 100)');
  return { format: RUN_SPEC_FORMAT, version: 1, id: `${o.name}-${runHash(o.config, o.seed)}`, ...o };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(where: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > max) throw new QmoeInputError(where, v, `must be a string of 1 to ${max} characters`);
  return v;
}

function oneOf<T extends string>(where: string, v: unknown, choices: readonly T[]): T {
  if (!choices.includes(v as T)) throw new QmoeInputError(where, v, `must be one of ${choices.join(', ')}`);
  return v as T;
}

function finite(where: string, v: unknown, min: number, max: number, above = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (above ? v <= min : v < min) || v > max) {
    throw new QmoeInputError(where, v, `must be a number ${above ? `> ${min}` : `from ${min}`} ${above ? 'and <= ' : 'to '}${max}`);
  }
  return v;
}

/**
 * Checks a run spec that came from outside (a queue payload, a file) and returns it typed: every
 * problem is a QmoeInputError naming the field (`job.config.budget.epochs`), the value and the
 * limit. The structure is checked field by field (the model spec as a model file's), then the id
 * against the hash of the configuration and seed, so that a payload changed anywhere is refused.
 * The data set's own fields are checked where the data is made (prepareData).
 */
export function checkRunSpec(v: unknown, where = 'job'): RunSpec {
  if (!isObject(v)) throw new QmoeInputError(where, v, 'must be a JSON object (a qmoe run spec)');
  if (v.format !== RUN_SPEC_FORMAT) throw new QmoeInputError(`${where}.format`, v.format, `must be "${RUN_SPEC_FORMAT}"`);
  if (v.version !== 1) throw new QmoeInputError(`${where}.version`, v.version, 'must be 1 (this qmoe reads version 1)');
  const name = text(`${where}.name`, v.name, 100);
  if (!NAME.test(name)) throw new QmoeInputError(`${where}.name`, name, 'must be letters, digits, ".", "_" or "-"');
  const id = text(`${where}.id`, v.id, 100 + HASH_DIGITS + 1);
  const study = oneOf(`${where}.study`, v.study, STUDIES);
  text(`${where}.kind`, v.kind, 200);
  text(`${where}.label`, v.label, 400);
  const seed = checkSeed(`${where}.seed`, v.seed);
  const preset = oneOf(`${where}.preset`, v.preset, PRESETS);
  oneOf(`${where}.backend`, v.backend, ENGINE_CHOICES);
  const c = v.config;
  if (!isObject(c)) throw new QmoeInputError(`${where}.config`, c, 'must be an object {dataset, spec, budget}');
  const spec = validateSpec(c.spec, `${where}.config.spec`);
  if (spec.preset !== preset) throw new QmoeInputError(`${where}.config.spec.preset`, spec.preset, `must be the run's preset ${preset}`);
  if (!isObject(c.dataset)) throw new QmoeInputError(`${where}.config.dataset`, c.dataset, 'must be an object {name, samples, noise, seed, split}');
  oneOf(`${where}.config.dataset.name`, c.dataset.name, DATASETS);
  const b = c.budget;
  if (!isObject(b)) throw new QmoeInputError(`${where}.config.budget`, b, 'must be an object {lr, epochs, batch, patience, init}');
  finite(`${where}.config.budget.lr`, b.lr, 0, 1000, true);
  checkInt(`${where}.config.budget.epochs`, b.epochs, 1, 1_000_000);
  checkInt(`${where}.config.budget.batch`, b.batch, 1, 1 << 24);
  checkInt(`${where}.config.budget.patience`, b.patience, 0, 1_000_000);
  oneOf(`${where}.config.budget.init`, b.init, INITS);
  if (study === 'noise-sweep') {
    const n = c.noise;
    if (n !== null) {
      if (!isObject(n)) throw new QmoeInputError(`${where}.config.noise`, n, 'must be null or an object {p, placement, trajectories}');
      finite(`${where}.config.noise.p`, n.p, 0, 1);
      oneOf(`${where}.config.noise.placement`, n.placement, PLACEMENTS);
      checkInt(`${where}.config.noise.trajectories`, n.trajectories, 1, MAX_TRAJECTORIES);
      if (n.convention !== undefined) oneOf(`${where}.config.noise.convention`, n.convention, ['qiskit']);
      if (spec.router !== 'quantum') throw new QmoeInputError(`${where}.config.noise`, n, `gate noise applies to the quantum router only; the spec's router is ${spec.router}`);
    }
  } else if (c.noise !== undefined) {
    throw new QmoeInputError(`${where}.config.noise`, c.noise, `only noise-sweep runs have noise; this is a ${study} run`);
  }
  const expected = `${name}-${runHash(c as unknown as RunConfig, seed)}`;
  if (id !== expected) throw new QmoeInputError(`${where}.id`, id, `does not match the run's name, configuration and seed (expected ${expected}): the job was changed or made by an incompatible qmoe`);
  return v as unknown as RunSpec;
}

/**
 * A rough relative cost of training a spec, to start the long runs first so that parallel
 * workers finish together: samples x epochs x work per sample (a state vector of 2^qubits
 * amplitudes through every layer for the quantum router, the parameters for the others).
 */
export function costEstimate(s: RunSpec): number {
  const spec = s.config.spec;
  const perSample = spec.router === 'quantum' ? 2 ** spec.qubits * spec.qubits * Math.max(1, spec.layers) * 8 : countParams(spec).total;
  const noisy = 'noise' in s.config && s.config.noise ? 4 ** spec.qubits : 1;
  return s.config.dataset.samples * s.config.budget.epochs * (perSample + countParams(spec).experts) * noisy;
}
