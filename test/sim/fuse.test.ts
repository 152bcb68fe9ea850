/**
 * The tile fuser of the global path (src/sim/fuse.ts), pure TS: the passes keep every op once and
 * in order, each tile holds the bits its ops need, and the tile-op records, run the way
 * shaders/global_tile.wgsl runs them (a float64 mirror below), give the CPU simulator's states.
 */
import { describe, expect, it } from 'vitest';
import { targetMatrix } from '../../src/circuit/gates.js';
import type { Circuit, GateName } from '../../src/circuit/types.js';
import { NO_INDEX, OP_KIND, OP_KIND_BITS } from '../../src/gpu/op-codes.js';
import { makeSpec, modelCircuit } from '../../src/moe/models.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { type CompiledCircuit, compileCircuit } from '../../src/sim/compile.js';
import { type FusedPass, fuseTiles, passCounts, tileNeeds, tileOpTable } from '../../src/sim/fuse.js';
import { gradientTestCircuit, mulberry32, randomBatch } from './adjoint-circuits.js';

function popcount(v: number): number {
  let c = 0;
  for (let m = v; m !== 0; m &= m - 1) c++;
  return c;
}

function opsOf(passes: readonly FusedPass[]): number[] {
  return passes.flatMap((p) => (p.kind === 'tile' ? p.ops : [p.op]));
}

/** A complex amplitude array (re, im interleaved) of one state. */
type State = Float64Array;

/** The states of `circuit` for row 0 of `input`, with the passes run as the tile kernel runs them. */
function runTiles(circuit: Circuit, compiled: CompiledCircuit, passes: readonly FusedPass[], params: number[], features: number[]): State {
  const n = circuit.qubits;
  const dim = 2 ** n;
  const psi = new Float64Array(2 * dim);
  psi[0] = 1;
  const { records, first } = tileOpTable(compiled, passes);
  const matrixOf = (g: number) => {
    const x = compiled.ops[4 * g];
    if ((x & 15) === OP_KIND.FEATURE_ROTATION) return targetMatrix((['rx', 'ry', 'rz'] as GateName[])[(x >>> OP_KIND_BITS) & 3], features[compiled.ops[4 * g + 3]]);
    const m = compiled.matrixOps[compiled.ops[4 * g + 3]];
    const angle = !m.angle ? 0 : m.angle.kind === 'const' ? m.angle.value : m.angle.kind === 'param' ? params[m.angle.index] : 0;
    return targetMatrix(m.gate, angle);
  };
  const deposit = (v: number, mask: number) => {
    let out = 0;
    for (let m = mask, x = v; m !== 0; m &= m - 1, x >>>= 1) if (x & 1) out |= m & -m;
    return out;
  };
  const apply = (m: number[], a: number, b: number, t: Float64Array) => {
    const [ar, ai, br, bi] = [t[2 * a], t[2 * a + 1], t[2 * b], t[2 * b + 1]];
    t[2 * a] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi;
    t[2 * a + 1] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br;
    t[2 * b] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi;
    t[2 * b + 1] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br;
  };
  passes.forEach((p, i) => {
    const mask = p.kind === 'tile' ? p.mask : 0;
    const ops = p.kind === 'tile' ? Array.from({ length: p.ops.length }, (_, k) => Array.from(records.subarray(4 * (first[i] + k), 4 * (first[i] + k) + 4))) : null;
    if (!ops) {
      // A single-op pass, on the whole state.
      const g = p.kind === 'op' ? p.op : 0;
      const y = compiled.ops[4 * g + 1];
      const z = compiled.ops[4 * g + 2];
      if ((compiled.ops[4 * g] & 15) === OP_KIND.SWAP) {
        for (let k = 0; k < dim; k++) if ((k & y) === 0 && (k & z) !== 0) swap(psi, k, k ^ y ^ z);
        return;
      }
      const m = matrixOf(g);
      for (let k = 0; k < dim; k++) if ((k & y) === 0 && (k & z) === z) apply(m, k, k + y, psi);
      return;
    }
    const bits = popcount(mask);
    for (let tile = 0; tile < 2 ** (n - bits); tile++) {
      const fixed = deposit(tile, (dim - 1) & ~mask);
      const t = new Float64Array(2 * 2 ** bits);
      for (let k = 0; k < 2 ** bits; k++) {
        t[2 * k] = psi[2 * (fixed | deposit(k, mask))];
        t[2 * k + 1] = psi[2 * (fixed | deposit(k, mask)) + 1];
      }
      for (const [g, ly, lz] of ops) {
        const y = compiled.ops[4 * g + 1];
        const z = compiled.ops[4 * g + 2];
        if ((compiled.ops[4 * g] & 15) === OP_KIND.SWAP) {
          for (let k = 0; k < 2 ** bits; k++) if ((k & ly) === 0 && (k & lz) !== 0) swap(t, k, k ^ ly ^ lz);
          continue;
        }
        const outside = z & ~mask;
        if ((fixed & outside) !== outside) continue;
        const m = matrixOf(g);
        if (ly === 0) {
          const e = (fixed & y) !== 0 ? [m[6], m[7]] : [m[0], m[1]];
          for (let k = 0; k < 2 ** bits; k++) {
            if ((k & lz) !== lz) continue;
            const [r, im] = [t[2 * k], t[2 * k + 1]];
            t[2 * k] = e[0] * r - e[1] * im;
            t[2 * k + 1] = e[0] * im + e[1] * r;
          }
          continue;
        }
        for (let k = 0; k < 2 ** bits; k++) if ((k & ly) === 0 && (k & lz) === lz) apply(m, k, k + ly, t);
      }
      for (let k = 0; k < 2 ** bits; k++) {
        psi[2 * (fixed | deposit(k, mask))] = t[2 * k];
        psi[2 * (fixed | deposit(k, mask)) + 1] = t[2 * k + 1];
      }
    }
  });
  return psi;
}

function swap(t: Float64Array, a: number, b: number): void {
  for (const o of [0, 1]) [t[2 * a + o], t[2 * b + o]] = [t[2 * b + o], t[2 * a + o]];
}

describe('tile fuser of the global path', () => {
  it('keeps every op once and in order; each tile has exactly T bits and holds what its ops need', () => {
    const rng = mulberry32(3);
    for (const n of [3, 6, 9]) {
      for (const t of [1, 2, 3, 5, 20]) {
        const compiled = compileCircuit(gradientTestCircuit(rng, n));
        const passes = fuseTiles(compiled, t);
        expect(opsOf(passes)).toEqual(Array.from({ length: compiled.ops.length / 4 }, (_, g) => g));
        for (const p of passes) {
          if (p.kind !== 'tile') continue;
          expect(p.ops.length).toBeGreaterThan(1);
          expect(popcount(p.mask)).toBe(Math.min(t, n));
          for (const g of p.ops) expect((tileNeeds(compiled, g)! & ~p.mask) >>> 0).toBe(0);
        }
      }
    }
  });

  it('needs: the target of a gate, nothing for a diagonal gate, both wires of a swap; controls never', () => {
    const circuit: Circuit = {
      qubits: 4,
      features: 1,
      params: 1,
      ops: [
        { gate: 'ccx', wires: [0, 1, 3] },
        { gate: 'crz', wires: [2, 0], angle: { kind: 'param', index: 0 } },
        { gate: 'swap', wires: [1, 2] },
        { gate: 'rz', wires: [3], angle: { kind: 'feature', index: 0 } },
        { gate: 'rx', wires: [3], angle: { kind: 'feature', index: 0 } },
      ],
    };
    const compiled = compileCircuit(circuit);
    // Qubit q is the stride 2^(n-1-q).
    expect([0, 1, 2, 3, 4].map((g) => tileNeeds(compiled, g))).toEqual([1, 0, 4 | 2, 0, 1]);
  });

  it('grows a pass greedily in order: the router circuit runs in a few passes per layer', () => {
    const spec = makeSpec({ router: 'quantum', preset: 'paper', features: 13, qubits: 13, layers: 4, experts: 4 });
    const compiled = compileCircuit(modelCircuit(spec));
    const ops = compiled.ops.length / 4;
    const passes = fuseTiles(compiled, 10);
    const counts = passCounts(passes);
    expect(counts.ops).toBe(ops);
    // 13 embedding RYs + 4 x (13 RYs + 13 CZs): the CZ ring rides along (diagonal), 13 RY targets over 10 tile bits.
    expect(counts.passes).toBeLessThanOrEqual(2 * 5);
    expect(counts.tilePasses).toBe(counts.passes);
  });

  it('ends a pass at maxGrads gradient ops and where endsPass says; a lone op is a single-op pass', () => {
    const spec = makeSpec({ router: 'quantum', preset: 'paper', features: 8, qubits: 8, layers: 2, experts: 4 });
    const circuit = modelCircuit(spec);
    const compiled = compileCircuit(circuit);
    const hasGrad = circuit.ops.map((op) => op.angle?.kind === 'param');
    const passes = fuseTiles(compiled, 8, { hasGrad, maxGrads: 3 });
    for (const p of passes) if (p.kind === 'tile') expect(p.grads).toBeLessThanOrEqual(3);
    expect(passes.reduce((s, p) => s + (p.kind === 'tile' ? p.grads : hasGrad[p.op] ? 1 : 0), 0)).toBe(hasGrad.filter(Boolean).length);
    const ends = fuseTiles(compiled, 8, { endsPass: (g) => g === 4 });
    expect(ends.some((p) => p.kind === 'tile' && p.ops[p.ops.length - 1] === 4)).toBe(true);
    // A swap needs two bits: with one-bit tiles it runs alone, as does an op between two swaps.
    const swaps = compileCircuit({ qubits: 3, features: 0, params: 0, ops: [{ gate: 'swap', wires: [0, 1] }, { gate: 'h', wires: [2] }, { gate: 'swap', wires: [1, 2] }] });
    expect(fuseTiles(swaps, 1)).toEqual([{ kind: 'op', op: 0 }, { kind: 'op', op: 1 }, { kind: 'op', op: 2 }]);
  });

  it('tile-op records: target stride and controls inside the tile, gradient columns in pass order', () => {
    const circuit: Circuit = {
      qubits: 4,
      features: 0,
      params: 2,
      ops: [
        { gate: 'cry', wires: [0, 2], angle: { kind: 'param', index: 0 } },
        { gate: 'ccx', wires: [3, 1, 2] },
        { gate: 'rz', wires: [0], angle: { kind: 'param', index: 1 } },
        { gate: 'swap', wires: [2, 3] },
      ],
    };
    const compiled = compileCircuit(circuit);
    // Tile bits: qubits 2 and 3 (strides 2 and 1) hold the swap and the targets; 0 and 1 stay outside.
    const passes: FusedPass[] = [{ kind: 'tile', mask: 3, ops: [0, 1, 2, 3], grads: 2 }];
    const { records, first } = tileOpTable(compiled, passes, [true, false, true, false]);
    expect(first).toEqual([0]);
    expect(Array.from(records)).toEqual([0, 2, 0, 0, 1, 2, 1, NO_INDEX, 2, 0, 0, 1, 3, 2, 1, NO_INDEX]);
  });

  it('the records run as the tile kernel runs them give the CPU states (every gate kind, tiles of 1 to n bits)', async () => {
    const rng = mulberry32(11);
    const cpu = new CpuBackend();
    for (const n of [2, 4, 7]) {
      const circuit = gradientTestCircuit(rng, n);
      const compiled = compileCircuit(circuit, true);
      const input = randomBatch(rng, circuit, 1);
      const want = await cpu.states(circuit, input);
      for (let t = 1; t <= n; t++) {
        const got = runTiles(circuit, compiled, fuseTiles(compiled, t), input.params, input.features);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(worst, `n = ${n}, ${t}-bit tiles`).toBeLessThan(1e-12);
      }
    }
  });
});
