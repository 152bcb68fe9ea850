import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { makeSpec, modelCircuit } from '../../src/moe/models.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';

/**
 * An independent reference of the `code` preset's circuit, written from PennyLane's documented
 * definitions rather than from qmoe's circuit model: AngleEmbedding (rotation X) applies RX(x_i)
 * to wire i; StronglyEntanglingLayers applies, per layer l, Rot(w[l,i,0], w[l,i,1], w[l,i,2]) to
 * every wire i with the documented matrix
 *   Rot(phi, theta, omega) = [[e^{-i(phi+omega)/2} cos(theta/2), -e^{i(phi-omega)/2} sin(theta/2)],
 *                             [e^{-i(phi-omega)/2} sin(theta/2),  e^{i(phi+omega)/2} cos(theta/2)]]
 * and then CNOT(i, (i + r) mod n) for i = 0..n-1 with the default ranges r = (l mod (n-1)) + 1.
 * Each gate is a full 2^n x 2^n matrix (Kronecker products, wire 0 the most significant bit),
 * applied by dense matrix-vector products: nothing is shared with src/sim.
 */
type C = [number, number];
const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const add = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];
const expi = (t: number): C => [Math.cos(t), Math.sin(t)];
const scale = (a: C, s: number): C => [a[0] * s, a[1] * s];

function rot(phi: number, theta: number, omega: number): C[][] {
  const c = Math.cos(theta / 2), s = Math.sin(theta / 2);
  return [
    [scale(expi(-(phi + omega) / 2), c), scale(expi((phi - omega) / 2), -s)],
    [scale(expi(-(phi - omega) / 2), s), scale(expi((phi + omega) / 2), c)],
  ];
}
const rx = (x: number): C[][] => [
  [[Math.cos(x / 2), 0], [0, -Math.sin(x / 2)]],
  [[0, -Math.sin(x / 2)], [Math.cos(x / 2), 0]],
];

/** The 2^n x 2^n matrix of a one-qubit gate on `wire`. */
function onWire(n: number, wire: number, g: C[][]): C[][] {
  const dim = 2 ** n;
  const m: C[][] = Array.from({ length: dim }, () => Array.from({ length: dim }, (): C => [0, 0]));
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) {
      // Identity on every other wire, g on this one.
      let ok = true;
      for (let w = 0; w < n; w++) if (w !== wire && ((r >> (n - 1 - w)) & 1) !== ((c >> (n - 1 - w)) & 1)) ok = false;
      if (ok) m[r][c] = g[(r >> (n - 1 - wire)) & 1][(c >> (n - 1 - wire)) & 1];
    }
  }
  return m;
}

/** CNOT(control, target) as a permutation matrix. */
function cnot(n: number, control: number, target: number): C[][] {
  const dim = 2 ** n;
  const m: C[][] = Array.from({ length: dim }, () => Array.from({ length: dim }, (): C => [0, 0]));
  for (let c = 0; c < dim; c++) {
    const r = (c >> (n - 1 - control)) & 1 ? c ^ (1 << (n - 1 - target)) : c;
    m[r][c] = [1, 0];
  }
  return m;
}

function apply(m: C[][], psi: C[]): C[] {
  return m.map((row) => row.reduce((acc, v, k) => add(acc, mul(v, psi[k])), [0, 0] as C));
}

function referenceZ(n: number, x: number[], w: number[][][]): number[] {
  let psi: C[] = Array.from({ length: 2 ** n }, (_, k): C => (k === 0 ? [1, 0] : [0, 0]));
  x.forEach((xi, i) => (psi = apply(onWire(n, i, rx(xi)), psi)));
  w.forEach((layer, l) => {
    layer.forEach((angles, i) => (psi = apply(onWire(n, i, rot(angles[0], angles[1], angles[2])), psi)));
    if (n > 1) {
      const r = (l % (n - 1)) + 1;
      for (let i = 0; i < n; i++) psi = apply(cnot(n, i, (i + r) % n), psi);
    }
  });
  return Array.from({ length: n }, (_, i) => psi.reduce((acc, a, k) => acc + (a[0] ** 2 + a[1] ** 2) * (((k >> (n - 1 - i)) & 1) ? -1 : 1), 0));
}

const cases = [
  { qubits: 2, layers: 3, features: 2 },
  { qubits: 3, layers: 2, features: 3 },
  { qubits: 4, layers: 3, features: 2 },
  { qubits: 1, layers: 2, features: 1 },
];

function draw(seed: number, c: (typeof cases)[number]) {
  const rng = mulberry32(seed);
  const x = Array.from({ length: c.features }, () => rng() * Math.PI);
  const w = Array.from({ length: c.layers }, () => Array.from({ length: c.qubits }, () => [0, 0, 0].map(() => rng() * 2 * Math.PI)));
  const spec = makeSpec({ router: 'quantum', preset: 'code', features: c.features, qubits: c.qubits, layers: c.layers, experts: 2 });
  return { x, w, spec, flat: w.flat(2) };
}

describe("code preset: <Z_i> against PennyLane's StronglyEntanglingLayers, from its definition", () => {
  it.each(cases)('n=$qubits L=$layers, CPU within 1e-12', async (c) => {
    for (let seed = 1; seed <= 3; seed++) {
      const { x, w, spec, flat } = draw(seed, c);
      const want = referenceZ(c.qubits, x, w);
      const got = await new CpuBackend().evaluate(modelCircuit(spec), { rows: 1, features: x, params: flat }, { kind: 'expectZ' });
      want.forEach((z, i) => expect(Math.abs(got[i] - z)).toBeLessThan(1e-12));
    }
  });
});

describe.skipIf(skipGpu)("code preset on the GPU: <Z_i> against the StronglyEntanglingLayers reference", () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());
  it.each(cases)('n=$qubits L=$layers, WebGPU within 1e-5', async (c) => {
    const { x, w, spec, flat } = draw(11, c);
    const want = referenceZ(c.qubits, x, w);
    const got = await new WebGpuBackend(gpu).evaluate(modelCircuit(spec), { rows: 1, features: x, params: flat }, { kind: 'expectZ' });
    want.forEach((z, i) => expect(Math.abs(got[i] - z)).toBeLessThan(1e-5));
  });
});
