import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSweep, runSweep } from '../../src/experiments/sweep.js';
import { planAblation } from '../../src/experiments/ablation.js';
import { planNoiseSweep } from '../../src/experiments/noise-sweep.js';
import { checkRunSpec, costEstimate, runHash, type RunSpec } from '../../src/jobs/spec.js';
import { parseRedisUrl, redactArgs, redactUrls } from '../../src/jobs/redis-url.js';
import { DEFAULT_SPLIT } from '../../src/train/dataset.js';
import { runQmoe } from '../helpers/cli.js';
import { runFile, runName, runNames } from '../helpers/runs.js';
import { TINY_SWEEP_ARGS, sweepTables, tinySweep } from '../helpers/study-tables.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let reference: ReturnType<typeof sweepTables>;
beforeAll(async () => {
  await runSweep(tinySweep(join(dir, 'reference')));
  reference = sweepTables(join(dir, 'reference'));
});

const moons = { name: 'moons' as const, samples: 60, noise: 0.1, seed: 42, split: DEFAULT_SPLIT };
const budget = { lr: 0.01, epochs: 2, batch: 32, patience: 0, init: 'uniform' as const };

describe('run specs', () => {
  it('ids are the name and a hash of configuration and seed: stable, and different for any other run', () => {
    const a = planAblation({ dataset: moons, preset: 'paper', seeds: 2, budget, backend: 'cpu', out: dir }).specs;
    const again = planAblation({ dataset: moons, preset: 'paper', seeds: 2, budget, backend: 'webgpu', out: join(dir, 'x') }).specs;
    // The engine and DIR are how and where a run is made, not what it is.
    expect(again.map((s) => s.id)).toEqual(a.map((s) => s.id));
    expect(a.map((s) => runName(s.id))).toEqual(['linear-seed0', 'quantum-seed0', 'mlp-seed0', 'linear-seed1', 'quantum-seed1', 'mlp-seed1']);
    expect(new Set(a.map((s) => s.id.slice(-16))).size).toBe(6);
    expect(a[0].id).toBe(`linear-seed0-${runHash(a[0].config, 0)}`);
    const longer = planAblation({ dataset: moons, preset: 'paper', seeds: 1, budget: { ...budget, epochs: 3 }, backend: 'cpu', out: dir }).specs;
    const otherData = planAblation({ dataset: { ...moons, seed: 43 }, preset: 'paper', seeds: 1, budget, backend: 'cpu', out: dir }).specs;
    for (const other of [longer, otherData]) expect(other[0].id).not.toBe(a[0].id);
    // Specs survive JSON and pass the payload check; noise-sweep specs carry their noise.
    for (const s of a) expect(checkRunSpec(JSON.parse(JSON.stringify(s)))).toEqual(s);
    const noisy = planNoiseSweep({ dataset: moons, preset: 'code', seeds: 1, budget, rates: [0, 0.1], trajectories: 2, out: dir }).specs;
    expect(noisy.map((s) => runName(s.id))).toEqual(['linear-seed0', 'quantum-seed0', 'quantum-p0.1-seed0']);
    expect(noisy.map((s) => s.backend)).toEqual(['cpu', 'cpu', 'cpu']);
    for (const s of noisy) checkRunSpec(JSON.parse(JSON.stringify(s)));
    // Qiskit's rates are other runs (their own ids and names); PennyLane's, the default, keep theirs.
    const qiskit = planNoiseSweep({ dataset: moons, preset: 'code', seeds: 1, budget, rates: [0, 0.1], trajectories: 2, convention: 'qiskit', out: dir }).specs;
    expect(qiskit.map((s) => runName(s.id))).toEqual(['linear-seed0', 'quantum-seed0', 'quantum-p0.1-qiskit-seed0']);
    expect(qiskit.slice(0, 2).map((s) => s.id)).toEqual(noisy.slice(0, 2).map((s) => s.id));
    const q = checkRunSpec(JSON.parse(JSON.stringify(qiskit[2])));
    expect((q.config as { noise: { convention?: string } }).noise.convention).toBe('qiskit');
    expect(() => checkRunSpec({ ...q, config: { ...q.config, noise: { ...(q.config as { noise: object }).noise, convention: 'cirq' } } })).toThrow(/^job\.config\.noise\.convention: "cirq" is invalid/);
    // Longest first: the quantum router's runs cost more than the linear router's.
    expect(costEstimate(a[1])).toBeGreaterThan(costEstimate(a[0]));
  });

  it('a payload check names the field, the value and the limit; a changed payload fails its hash', () => {
    const s = planSweep(tinySweep(dir)).specs[0];
    const bad = (patch: (x: RunSpec) => unknown) => () => checkRunSpec(patch(JSON.parse(JSON.stringify(s))));
    expect(bad(() => 'text')).toThrow(/^job: "text" is invalid; must be a JSON object/);
    expect(bad((x) => ({ ...x, version: 2 }))).toThrow(/^job\.version: 2 is invalid/);
    expect(bad((x) => ({ ...x, study: 'other' }))).toThrow(/^job\.study: "other" is invalid; must be one of ablation, sweep, noise-sweep/);
    expect(bad((x) => ({ ...x, seed: -1 }))).toThrow(/^job\.seed: -1 is invalid; must be an integer from 0 to 4294967295/);
    expect(bad((x) => ({ ...x, name: '../../etc' }))).toThrow(/^job\.name: "\.\.\/\.\.\/etc" is invalid/);
    expect(bad((x) => ({ ...x, config: { ...x.config, budget: { ...x.config.budget, lr: 0 } } }))).toThrow(/^job\.config\.budget\.lr: 0 is invalid; must be a number > 0/);
    expect(bad((x) => ({ ...x, config: { ...x.config, spec: { ...x.config.spec, qubits: 1 } } }))).toThrow(/^job\.config\.spec\.qubits: 1 is invalid/);
    expect(bad((x) => ({ ...x, config: { ...x.config, noise: null } }))).toThrow(/^job\.config\.noise: null is invalid; only noise-sweep runs have noise/);
    expect(bad((x) => ({ ...x, config: { ...x.config, budget: { ...x.config.budget, epochs: 3 } } }))).toThrow(/^job\.id: ".*" is invalid; does not match the run's name, configuration and seed \(expected quantum-q2-l1-seed0-[0-9a-f]{16}\)/);
  });

  it('Redis URLs: parsed strictly, the password never shown', () => {
    expect(parseRedisUrl('redis://127.0.0.1', '--queue', {})).toEqual({ tls: false, host: '127.0.0.1', port: 6379, db: 0, username: undefined, password: undefined, display: 'redis://127.0.0.1:6379/0' });
    expect(parseRedisUrl('rediss://al:p%40ss@cache.example.org:6380/3', '--queue', {})).toEqual({
      tls: true,
      host: 'cache.example.org',
      port: 6380,
      db: 3,
      username: 'al',
      password: 'p@ss',
      display: 'rediss://al:***@cache.example.org:6380/3',
    });
    expect(parseRedisUrl('redis://[::1]:7000/', '--queue', { QMOE_REDIS_PASSWORD: 'env-pw' })).toMatchObject({ host: '::1', port: 7000, password: 'env-pw', display: 'redis://:***@[::1]:7000/0' });
    for (const [url, why] of [
      ['http://h', /must be redis:\/\/\[\[user\]:password@\]host/],
      ['redis://:secret@h:0', /the port must be from 1 to 65535/],
      ['redis://:secret@h/99999', /the database number must be from 0 to 65535/],
      ['redis://:sec@ret@h', /must be redis:/],
      ['redis://h?db=2', /must be redis:/],
      ['redis://:%zz@h', /malformed %-escape/],
    ] as const) {
      expect(() => parseRedisUrl(url, '--queue', {}), url).toThrow(why);
      try {
        parseRedisUrl(url, '--queue', {});
      } catch (e) {
        expect((e as Error).message).not.toMatch(/secret|sec@ret|%zz/);
      }
    }
    expect(redactUrls('at redis://u:pw@h:1/0 and rediss://pw2@h')).toBe('at redis://u:***@h:1/0 and rediss://***@h');
    expect(redactArgs(['--queue', 'redis://:a:b@h', '--queue=redis://:c@h'])).toEqual(['--queue', 'redis://:***@h', '--queue=redis://:***@h']);
  });
});

describe('local worker processes and Slurm arrays', () => {
  it('--workers 3 gives the tables of one process, bitwise on the CPU engine', async () => {
    const out = join(dir, 'workers');
    const r = await runQmoe([...TINY_SWEEP_ARGS, '--workers', '3', '--out', out], 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('sweep: 5 runs to train on 3 worker processes');
    expect(r.stderr).toMatch(/sweep \d\/5: linear seed 0 done: 12 router params/);
    expect(sweepTables(out)).toEqual(reference);
    expect(readFileSync(join(out, 'sweep.md'), 'utf8')).toContain('--workers 3');
  });

  it('jobs list and jobs run --index write the runs one by one; the command then finds them all', async () => {
    const out = join(dir, 'slurm');
    const args = [...TINY_SWEEP_ARGS, '--out', out];
    const list = await runQmoe(['jobs', 'list', ...args], 60_000);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.index, l.done, runName(l.spec.id)])).toEqual([
      [0, false, 'quantum-q2-l1-seed0'],
      [1, false, 'quantum-q2-l2-seed0'],
      [2, false, 'linear-seed0'],
      [3, false, 'mlp-h2-seed0'],
      [4, false, 'mlp-h4-seed0'],
    ]);
    expect(list.stderr).toContain('sweep: 5 runs (indices 0 to 4), 0 done');
    // Array tasks at once into one DIR (no lock between them).
    const tasks = await Promise.all([0, 1, 2, 3, 4].map((i) => runQmoe(['jobs', 'run', '--index', String(i), ...args], 120_000)));
    for (const t of tasks) expect(t.code, t.stderr).toBe(0);
    expect(runNames(out)).toEqual(['linear-seed0', 'mlp-h2-seed0', 'mlp-h4-seed0', 'quantum-q2-l1-seed0', 'quantum-q2-l2-seed0']);
    expect(readdirSync(join(out, 'runs')).filter((n) => n.startsWith('.'))).toEqual([]);
    const [again, outOfRange, noIndex, queue] = await Promise.all([
      runQmoe(['jobs', 'run', '--index', '4', ...args], 60_000),
      runQmoe(['jobs', 'run', '--index', '5', ...args], 60_000),
      runQmoe(['jobs', 'run', ...args], 60_000),
      runQmoe(['jobs', 'list', ...args, '--queue', 'redis://h'], 60_000),
    ]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/sweep run 4: mlp-h4 seed 0 is done \(.*\); nothing to train/);
    expect([outOfRange.code, noIndex.code, queue.code]).toEqual([2, 2, 2]);
    expect(outOfRange.stderr).toMatch(/--index 5: must be an integer from 0 to 4 \(this sweep has 5 runs/);
    expect(noIndex.stderr).toMatch(/--index I is required/);
    expect(queue.stderr).toMatch(/--queue applies to 'qmoe sweep', not to qmoe jobs/);
    const tables = await runQmoe(args, 120_000);
    expect(tables.code, tables.stderr).toBe(0);
    expect(tables.stderr).toContain('sweep: 5 of 5 runs found');
    expect(tables.stderr).not.toMatch(/done:/);
    expect(sweepTables(out)).toEqual(reference);
  });

  it('runs written under the names before stable ids are reused when their configuration matches', async () => {
    const out = join(dir, 'legacy');
    mkdirSync(join(out, 'runs'), { recursive: true });
    for (const name of runNames(join(dir, 'reference'))) copyFileSync(runFile(join(dir, 'reference'), name), join(out, 'runs', `${name}.json`));
    const trained: string[] = [];
    const lines: string[] = [];
    await runSweep({ ...tinySweep(out), onTrain: (id) => trained.push(id), progress: { status: () => {}, line: (l) => lines.push(l) } });
    expect(trained).toEqual([]);
    expect(lines[0]).toMatch(/^sweep: 5 of 5 runs found in .* \(5 under the names qmoe gave runs before stable ids\), 0 to train$/);
    // Their records carry the new ids in the tables; another configuration's old files are not taken.
    expect(sweepTables(out).json).toEqual(reference.json);
    const other = await runSweep({ ...tinySweep(out), budget: { ...tinySweep(out).budget, epochs: 1 }, widths: [2], layers: [1], onTrain: (id) => trained.push(runName(id)) });
    expect(trained).toEqual(['quantum-q2-l1-seed0', 'linear-seed0', 'mlp-h2-seed0']);
    expect(other.points).toHaveLength(3);
  });

  it('a run that fails in every attempt on local workers: exit 1 naming it, the others kept, no tables', async () => {
    const out = join(dir, 'failing');
    const r = await runQmoe([...TINY_SWEEP_ARGS, '--workers', '2', '--out', out], 120_000, { QMOE_TEST_JOB_HOOK: 'fail:linear' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/sweep: linear seed 0: attempt 1 of 3 failed: test hook: run linear-seed0-[0-9a-f]{16} fails on purpose/);
    expect(r.stderr).toMatch(/qmoe: sweep: 1 of 5 runs failed; the 4 finished runs are kept in .*, the tables are not written; run the command again to retry the failed runs:\n {2}linear seed 0 \(linear-seed0-[0-9a-f]{16}\), 3 attempts: test hook/);
    expect(runNames(out)).toEqual(['mlp-h2-seed0', 'mlp-h4-seed0', 'quantum-q2-l1-seed0', 'quantum-q2-l2-seed0']);
    expect(existsSync(join(out, 'sweep.json'))).toBe(false);
    const bad = await runQmoe([...TINY_SWEEP_ARGS, '--workers', 'many', '--out', out], 60_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--workers "many": must be auto or an integer from 1 to 1024/);
  });
});
