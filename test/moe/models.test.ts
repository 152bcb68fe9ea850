import { describe, expect, it } from 'vitest';
import { targetMatrix } from '../../src/circuit/gates.js';
import { routerCircuit as builderRouterCircuit } from '../../src/circuit/builders.js';
import { QmoeInputError } from '../../src/errors.js';
import { countParams, defaultSpec, initParams, makeSpec, paramLayout, modelCircuit, validateSpec } from '../../src/moe/models.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';

describe('parameter counts (router, as the study counts them)', () => {
  it('paper preset reproduces Table I: linear 12, deep 240, quantum 24', () => {
    expect(countParams(defaultSpec('linear', 'paper'))).toEqual({ router: 12, experts: 24, total: 36 });
    expect(countParams(defaultSpec('mlp', 'paper'))).toEqual({ router: 240, experts: 24, total: 264 });
    expect(countParams(defaultSpec('quantum', 'paper'))).toEqual({ router: 24, experts: 24, total: 48 });
    expect(paramLayout(defaultSpec('quantum', 'paper')).circuit).toBe(24);
  });

  it('code preset: quantum 18 + 6, linear 6, MLP 5h + 2', () => {
    const q = defaultSpec('quantum', 'code');
    expect(paramLayout(q)).toEqual({ router: 24, circuit: 18, experts: 12, total: 36 });
    expect(countParams(defaultSpec('linear', 'code')).router).toBe(6);
    for (const h of [2, 4, 8, 16, 32, 64]) expect(countParams(makeSpec({ router: 'mlp', preset: 'code', hidden: [h] })).router).toBe(5 * h + 2);
  });
});

describe('makeSpec', () => {
  it('rejects impossible sizes, naming the option', () => {
    const bad: [Parameters<typeof makeSpec>[0], RegExp][] = [
      [{ router: 'quantum', preset: 'paper', experts: 5 }, /--experts/],
      [{ router: 'quantum', experts: 0 }, /--experts/],
      [{ router: 'quantum', qubits: 1 }, /--qubits/],
      [{ router: 'quantum', preset: 'code', features: 3, qubits: 2 }, /--qubits/],
      [{ router: 'mlp', hidden: [16, 0] }, /--hidden/],
      [{ router: 'mlp', hidden: [] }, /--hidden/],
      [{ router: 'nope' as never }, /--router/],
      [{ router: 'linear', preset: 'x' as never }, /--preset/],
      [{ router: 'quantum', preset: 'code', layers: 0 }, /--layers/],
    ];
    for (const [opts, re] of bad) {
      expect(() => makeSpec(opts), JSON.stringify(opts)).toThrow(QmoeInputError);
      expect(() => makeSpec(opts), JSON.stringify(opts)).toThrow(re);
    }
  });

  it('allows more experts than 2^qubits with the code adapter, and extra qubits', () => {
    expect(makeSpec({ router: 'quantum', preset: 'code', experts: 8 }).experts).toBe(8);
    const s = makeSpec({ router: 'quantum', preset: 'paper', qubits: 3, experts: 8 });
    expect(modelCircuit(s).features).toBe(2);
    expect(modelCircuit(s).qubits).toBe(3);
  });

  it('validateSpec names the field of a bad spec', () => {
    const s = defaultSpec('quantum');
    expect(validateSpec(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(() => validateSpec({ ...s, router: 'cnn' })).toThrow(/spec\.router/);
    expect(() => validateSpec({ ...s, experts: 9 })).toThrow(/spec\.experts/);
    expect(() => validateSpec({ ...s, qubits: 1.5 })).toThrow(/spec\.qubits/);
  });
});

describe('router circuits', () => {
  it('paper preset with one qubit per feature is the builders routerCircuit', () => {
    const s = defaultSpec('quantum', 'paper');
    expect(modelCircuit(s)).toEqual(builderRouterCircuit(2, 12));
  });

  it('code preset: RX embedding, Rot = RZ(phi) RY(theta) RZ(omega) applied in that order, CNOT ring with range r', () => {
    const s = makeSpec({ router: 'quantum', preset: 'code', qubits: 3, layers: 3, experts: 2, features: 2 });
    const c = modelCircuit(s);
    expect(c.params).toBe(27);
    expect(c.ops.slice(0, 2).map((o) => o.gate)).toEqual(['rx', 'rx']);
    const layer = (l: number) => c.ops.slice(2 + l * 12, 2 + (l + 1) * 12);
    expect(layer(0).slice(0, 3)).toEqual([
      { gate: 'rz', wires: [0], angle: { kind: 'param', index: 0 } },
      { gate: 'ry', wires: [0], angle: { kind: 'param', index: 1 } },
      { gate: 'rz', wires: [0], angle: { kind: 'param', index: 2 } },
    ]);
    // Layer 1, qubit 2: weights[1, 2, k] at (1 * 3 + 2) * 3 + k = 15 + k.
    expect(layer(1)[6].angle).toEqual({ kind: 'param', index: 15 });
    // r = (l mod 2) + 1: 1, 2, 1.
    expect(layer(0).slice(9).map((o) => o.wires)).toEqual([[0, 1], [1, 2], [2, 0]]);
    expect(layer(1).slice(9).map((o) => o.wires)).toEqual([[0, 2], [1, 0], [2, 1]]);
    expect(layer(2).slice(9).map((o) => o.wires)).toEqual([[0, 1], [1, 2], [2, 0]]);
  });

  it('one qubit, one layer: <Z> matches RZ(omega) RY(theta) RZ(phi) RX(x)|0> as matrices (PennyLane Rot)', async () => {
    const s = makeSpec({ router: 'quantum', preset: 'code', features: 1, qubits: 1, layers: 1, experts: 2 });
    const [x, phi, theta, omega] = [0.7, 0.4, 1.1, -0.9];
    const z = await new CpuBackend().evaluate(modelCircuit(s), { rows: 1, features: [x], params: [phi, theta, omega] }, { kind: 'expectZ' });
    // Complex 2x2 products, state as [re0, im0, re1, im1].
    const apply = (m: number[], v: number[]) => [
      m[0] * v[0] - m[1] * v[1] + m[2] * v[2] - m[3] * v[3],
      m[0] * v[1] + m[1] * v[0] + m[2] * v[3] + m[3] * v[2],
      m[4] * v[0] - m[5] * v[1] + m[6] * v[2] - m[7] * v[3],
      m[4] * v[1] + m[5] * v[0] + m[6] * v[3] + m[7] * v[2],
    ];
    let v = [1, 0, 0, 0];
    for (const [g, a] of [['rx', x], ['rz', phi], ['ry', theta], ['rz', omega]] as const) v = apply(targetMatrix(g, a), v);
    expect(z[0]).toBeCloseTo(v[0] ** 2 + v[1] ** 2 - v[2] ** 2 - v[3] ** 2, 12);
  });
});

describe('initParams', () => {
  it('is seeded, uniform [0, 2pi) or small normal for angles, nn.Linear bounds for dense layers', () => {
    const s = defaultSpec('quantum', 'code');
    const a = initParams(s, { seed: 7 });
    expect(initParams(s, { seed: 7 })).toEqual(a);
    expect(initParams(s, { seed: 8 })).not.toEqual(a);
    for (let i = 0; i < 18; i++) expect(a[i] >= 0 && a[i] < 2 * Math.PI).toBe(true);
    for (let i = 18; i < a.length; i++) expect(Math.abs(a[i])).toBeLessThanOrEqual(1 / Math.sqrt(2));
    const small = initParams(s, { seed: 7, init: 'small' });
    for (let i = 0; i < 18; i++) expect(Math.abs(small[i])).toBeLessThan(0.6);
    expect(() => initParams(s, { seed: 7, init: 'big' as never })).toThrow(/--init/);
  });
});
