import { describe, expect, it } from 'vitest';
import { FastCpuBackend } from '../../src/cpu/backend.js';
import { QmoeInputError } from '../../src/errors.js';
import { CpuModel } from '../../src/moe/forward-cpu.js';
import { initParams, makeSpec, paramLayout, readoutOps, modelCircuit, validateSpec, type SpecOptions } from '../../src/moe/models.js';
import type { Backend } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { mulberry32 } from '../helpers/random.js';

/**
 * The quantum router's readouts. With 8 qubits x 4 layers of nearest-neighbour CZ and 4 experts as
 * blocks of basis states (qubits 0 and 1), features 5 to 7 are outside the light cone of the
 * measured qubits: the routing cannot depend on them. The readouts offered as "sees every
 * feature" (z, parity; with or without re-uploading) must change the routing when any one
 * feature changes, on the float64 reference and on the fast CPU engine, and their gradients
 * agree with finite differences.
 */
const ENGINES: [string, () => Backend][] = [
  ['float64 reference', () => new CpuBackend()],
  ['fast CPU engine (float32)', () => new FastCpuBackend({ precision: 'f32' })],
];
const SEES_ALL: SpecOptions[] = [
  { router: 'quantum', readout: 'z' },
  { router: 'quantum', readout: 'parity' },
  { router: 'quantum', readout: 'z', reupload: true },
  { router: 'quantum', readout: 'parity', reupload: true },
  { router: 'quantum', readout: 'blocks', reupload: true, layers: 8 },
];
const mnistSized = (o: SpecOptions) => makeSpec({ features: 8, classes: 2, qubits: 8, layers: 4, experts: 4, ...o });
const label = (o: SpecOptions) => `${o.readout}${o.reupload ? ' + reupload' : ''}${o.layers ? `, ${o.layers} layers` : ''}`;

/** The largest change of the routing P(e | x) over `rows` rows when feature f moves by delta. */
async function routeChange(model: CpuModel, params: Float64Array, x: Float64Array, rows: number, f: number, delta: number): Promise<number> {
  const F = model.spec.features;
  const moved = Float64Array.from(x);
  for (let r = 0; r < rows; r++) moved[r * F + f] += delta;
  const a = (await model.forward(params, x, rows)).route;
  const b = (await model.forward(params, moved, rows)).route;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function inputs(rows: number, features: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  return Float64Array.from({ length: rows * features }, () => rng() * Math.PI);
}

describe.each(ENGINES)('light cone of the routing (%s)', (_, make) => {
  const rows = 6;
  const x = inputs(rows, 8, 5);

  it('blocks, 8 qubits x 4 layers, 4 experts: features 5 to 7 do not move the routing, 0 to 4 do', async () => {
    const backend = make();
    const model = new CpuModel(mnistSized({ router: 'quantum' }), backend);
    const params = initParams(model.spec, { seed: 1 });
    for (let f = 0; f < 8; f++) {
      const change = await routeChange(model, params, x, rows, f, 0.7);
      if (f >= 5) expect(change, `feature ${f}`).toBeLessThan(1e-6);
      else expect(change, `feature ${f}`).toBeGreaterThan(1e-3);
    }
    backend.dispose();
  });

  it.each(SEES_ALL.map((o) => [label(o), o] as const))('%s: every feature moves the routing', async (_, o) => {
    const backend = make();
    const model = new CpuModel(mnistSized(o), backend);
    const params = initParams(model.spec, { seed: 2 });
    for (let f = 0; f < 8; f++) expect(await routeChange(model, params, x, rows, f, 0.7), `feature ${f}`).toBeGreaterThan(1e-3);
    backend.dispose();
  });
});

describe('parity readout', () => {
  it('is the classical parity of the measured bits: qubit groups i mod m', async () => {
    const spec = makeSpec({ router: 'quantum', features: 5, classes: 2, qubits: 5, layers: 2, experts: 4, readout: 'parity' });
    const circuit = modelCircuit(spec);
    const extra = readoutOps(spec);
    expect(extra.map((op) => op.wires)).toEqual([[2, 0], [3, 1], [4, 0]]);
    const bare = { ...circuit, ops: circuit.ops.slice(0, circuit.ops.length - extra.length) };
    const rows = 3;
    const input = { rows, features: inputs(rows, 5, 9), params: initParams(spec, { seed: 4 }).subarray(0, paramLayout(spec).circuit) };
    const backend = new CpuBackend();
    const probs = await backend.probabilities(bare, input);
    const experts = await backend.expertProbabilities(circuit, input, 4);
    for (let r = 0; r < rows; r++) {
      const want = [0, 0, 0, 0];
      for (let k = 0; k < 32; k++) {
        const bit = (q: number) => (k >> (4 - q)) & 1;
        want[2 * (bit(0) ^ bit(2) ^ bit(4)) + (bit(1) ^ bit(3))] += probs[r * 32 + k];
      }
      for (let e = 0; e < 4; e++) expect(experts[r * 4 + e]).toBeCloseTo(want[e], 12);
    }
  });

  it('needs a power of two of experts, at most 2^qubits; z allows any number', () => {
    expect(() => makeSpec({ router: 'quantum', qubits: 3, experts: 3, readout: 'parity' })).toThrow(/--experts.*power of two/);
    expect(() => makeSpec({ router: 'quantum', qubits: 2, experts: 8, readout: 'blocks' })).toThrow(QmoeInputError);
    expect(makeSpec({ router: 'quantum', qubits: 2, experts: 8, readout: 'z' }).experts).toBe(8);
    expect(() => makeSpec({ router: 'quantum', readout: 'bits' as never })).toThrow(/--readout/);
  });
});

describe('the spec records only what differs from the preset', () => {
  it('the preset readouts and no re-uploading leave the spec as before (the run ids of the study stay)', () => {
    expect(makeSpec({ router: 'quantum', readout: 'blocks', reupload: false })).toEqual(makeSpec({ router: 'quantum' }));
    expect(makeSpec({ router: 'quantum', preset: 'code', readout: 'z' })).toEqual(makeSpec({ router: 'quantum', preset: 'code' }));
    expect(makeSpec({ router: 'linear', readout: 'z', reupload: true })).toEqual(makeSpec({ router: 'linear' }));
    const z = makeSpec({ router: 'quantum', readout: 'z', reupload: true });
    expect(z).toMatchObject({ readout: 'z', reupload: true });
    expect(validateSpec(JSON.parse(JSON.stringify(z)))).toEqual(z);
    expect(() => validateSpec({ ...z, readout: 'nope' })).toThrow(/spec\.readout/);
  });

  it('z readout on the paper circuit adds the adapter (experts x qubits + experts)', () => {
    const s = makeSpec({ router: 'quantum', readout: 'z' });
    expect(paramLayout(s)).toMatchObject({ circuit: 24, router: 24 + 4 * 3 });
    expect(paramLayout(makeSpec({ router: 'quantum', preset: 'code', readout: 'blocks', experts: 4 }))).toMatchObject({ circuit: 18, router: 18 });
  });

  it('re-uploading repeats the embedding before every layer', () => {
    const c = modelCircuit(makeSpec({ router: 'quantum', layers: 3, reupload: true }));
    const featureOps = c.ops.filter((op) => op.angle?.kind === 'feature');
    expect(featureOps).toHaveLength(6);
    expect(c.ops.map((op) => (op.angle?.kind === 'feature' ? 'x' : op.gate))).toEqual(['x', 'x', 'ry', 'ry', 'cz', 'x', 'x', 'ry', 'ry', 'cz', 'x', 'x', 'ry', 'ry', 'cz']);
    expect(c.ops.filter((op) => op.angle?.kind === 'param').map((op) => (op.angle as { index: number }).index)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe.each([
  ['float64 reference', () => new CpuBackend(), 1e-7],
  ['fast CPU engine (float64 states)', () => new FastCpuBackend({ precision: 'f64' }), 1e-7],
] as const)('gradients of every readout against finite differences (%s)', (_, make, tol) => {
  const cases: SpecOptions[] = [
    { router: 'quantum', readout: 'blocks' },
    { router: 'quantum', readout: 'z' },
    { router: 'quantum', readout: 'parity' },
    { router: 'quantum', readout: 'z', reupload: true },
    { router: 'quantum', readout: 'parity', reupload: true },
    { router: 'quantum', preset: 'code', readout: 'blocks', experts: 4, reupload: true },
    { router: 'quantum', preset: 'code', readout: 'parity', experts: 2 },
  ];
  it.each(cases.map((o) => [`${o.preset ?? 'paper'} ${label(o)}`, o] as const))('%s', async (_, o) => {
    const backend = make();
    const spec = makeSpec({ features: 3, classes: 3, qubits: 4, layers: 2, experts: 4, ...o });
    const model = new CpuModel(spec, backend);
    const rows = 5;
    const x = inputs(rows, 3, 13);
    const y = Int32Array.from([0, 2, 1, 1, 0]);
    const params = initParams(spec, { seed: 8 });
    const g = await model.lossAndGradient(params, x, y, rows);
    const h = 1e-5;
    let worst = 0;
    for (let k = 0; k < params.length; k++) {
      const p = Float64Array.from(params);
      p[k] += h;
      const up = (await model.loss(p, x, y, rows)).loss;
      p[k] -= 2 * h;
      const down = (await model.loss(p, x, y, rows)).loss;
      worst = Math.max(worst, Math.abs((up - down) / (2 * h) - g.grad[k]));
    }
    expect(worst).toBeLessThan(tol);
    backend.dispose();
  });
});

describe('the fast CPU engine in float32 gives the reference routing for every readout', () => {
  it.each(SEES_ALL.map((o) => [label(o), o] as const))('%s', async (_, o) => {
    const spec = mnistSized(o);
    const params = initParams(spec, { seed: 6 });
    const x = inputs(9, 8, 3);
    const ref = new CpuModel(spec, new CpuBackend());
    const fastBackend = new FastCpuBackend({ precision: 'f32' });
    const fast = new CpuModel(spec, fastBackend);
    const a = (await ref.forward(params, x, 9)).route;
    const b = (await fast.forward(params, x, 9)).route;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    fastBackend.dispose();
  });
});

describe('noise leaves the parity readout alone', () => {
  it('every-gate and embedding-output channels stop before the parity CNOTs', async () => {
    const { routerNoise } = await import('../../src/noise/training.js');
    const { noiseSchedule } = await import('../../src/noise/model.js');
    const spec = makeSpec({ router: 'quantum', features: 4, classes: 2, qubits: 4, layers: 2, experts: 2, readout: 'parity' });
    const circuit = modelCircuit(spec);
    const gates = circuit.ops.length - readoutOps(spec).length;
    expect(readoutOps(spec)).toHaveLength(3);
    const every = noiseSchedule(circuit, routerNoise(spec, 0.01, 'every-gate'));
    expect(every.channels).toBe(gates);
    const plain = noiseSchedule(modelCircuit({ ...spec, readout: undefined }), routerNoise({ ...spec, readout: undefined }, 0.01, 'every-gate'));
    expect(every.steps.filter((s) => s.kind !== 'gate')).toEqual(plain.steps.filter((s) => s.kind !== 'gate'));
    const points = noiseSchedule(circuit, routerNoise(spec, 0.01, 'embedding-output'));
    const lastChannel = points.steps.map((s) => s.kind).lastIndexOf('channel1');
    // After the last channel come only the readout's gates.
    expect(points.steps.slice(lastChannel + 1).map((s) => (s.kind === 'gate' ? circuit.ops[s.op].gate : s.kind))).toEqual(['cnot', 'cnot', 'cnot']);
  });
});
