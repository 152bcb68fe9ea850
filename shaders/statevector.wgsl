// Applies circuit ops to the state vectors of many samples at once.
//
// FUSED: one workgroup holds SAMPLES_PER_GROUP whole states in workgroup memory, runs the ops in
//        passes with one barrier per pass (src/sim/passes.ts: runs of diagonal gates scale the
//        amplitudes at once; 2 or 3 one-qubit gates on distinct qubits run on 4 or 8 amplitudes
//        held in registers), and writes only their probabilities (or expert sums or <Z>).
// else:  one dispatch applies the single op `op.index` to states in global memory (large states).
// REAL:  states and matrices are real: every gate of the circuit is real (RY, CZ, X, H, ...).
//
// Ops, matrices and the trig table: shaders/lib/gates.wgsl (bindings 0, 1, 2).

#struct Meta

@group(0) @binding(4) var<uniform> meta_: Meta;

#include "lib/gates.wgsl"

#if ${FUSED}
override QUBITS: u32;
override GROUP_SIZE: u32 = 64u;
override SAMPLES_PER_GROUP: u32 = 1u;
override DIM: u32 = 1u << QUBITS;
override SLOTS: u32 = SAMPLES_PER_GROUP * DIM;
// Outputs are <Z_i> for i = 0..QUBITS-1 (meta_.outputs == QUBITS) instead of probabilities.
override EXPECT_Z: bool = false;

@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> bounds: array<u32>;
@group(0) @binding(6) var<storage, read> passes: array<vec4<u32>>;   // kind, first op, op count

var<workgroup> state: array<Amp, SLOTS>;

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = (wg.x + wg.y * meta_.groups_x) * SAMPLES_PER_GROUP;
  let half_dim = DIM >> 1u;
  let pairs = SAMPLES_PER_GROUP * half_dim;
  for (var i = lid; i < SLOTS; i += GROUP_SIZE) {
    state[i] = basis_zero(i & (DIM - 1u));
  }
  workgroupBarrier();
  // Passes (src/sim/passes.ts): one barrier per pass, not per gate.
  for (var q = 0u; q < meta_.num_ops; q++) {
    let pass_ = passes[q];
    if (pass_.x == PASS_CUBE2 || pass_.x == PASS_CUBE3) {
      // Cube: 2 or 3 one-qubit gates on distinct bits, 4 or 8 amplitudes per invocation.
      let k = select(2u, 3u, pass_.x == PASS_CUBE3);
      let op0 = ops[pass_.y];
      let op1 = ops[pass_.y + 1u];
      let op2 = ops[pass_.y + k - 1u];
      let per = DIM >> k;
      for (var c = lid; c < SAMPLES_PER_GROUP * per; c += GROUP_SIZE) {
        let s = c / per;
        var i = pair_first(pair_first(c - s * per, op0.y), op1.y);
        if (k == 3u) { i = pair_first(i, op2.y); }
        let base = s * DIM + i;
        let row = min(first + s, meta_.rows - 1u) * meta_.features;
        let m0 = matrix(op0, row);
        let m1 = matrix(op1, row);
        // Named registers, not an array: dynamically indexed arrays end up in local memory.
        let j1 = base + op0.y;
        let j2 = base + op1.y;
        let j3 = j2 + op0.y;
        var q0 = apply2(m0, state[base], state[j1]);
        var q1 = apply2(m0, state[j2], state[j3]);
        var r0 = apply2(m1, q0[0], q1[0]);
        var r1 = apply2(m1, q0[1], q1[1]);
        if (k == 3u) {
          let m2 = matrix(op2, row);
          let u = op2.y;
          var p0 = apply2(m0, state[base + u], state[j1 + u]);
          var p1 = apply2(m0, state[j2 + u], state[j3 + u]);
          let t0 = apply2(m1, p0[0], p1[0]);
          let t1 = apply2(m1, p0[1], p1[1]);
          let v00 = apply2(m2, r0[0], t0[0]);
          let v01 = apply2(m2, r1[0], t1[0]);
          let v10 = apply2(m2, r0[1], t0[1]);
          let v11 = apply2(m2, r1[1], t1[1]);
          state[base] = v00[0];
          state[j1] = v01[0];
          state[j2] = v10[0];
          state[j3] = v11[0];
          state[base + u] = v00[1];
          state[j1 + u] = v01[1];
          state[j2 + u] = v10[1];
          state[j3 + u] = v11[1];
        } else {
          state[base] = r0[0];
          state[j1] = r1[0];
          state[j2] = r0[1];
          state[j3] = r1[1];
        }
      }
    } else if (pass_.x == PASS_DIAGONAL) {
      // Diagonal gates: scale every amplitude by the product of their diagonal entries.
      for (var i = lid; i < SLOTS; i += GROUP_SIZE) {
        let s = i / DIM;
        let idx = i - s * DIM;
        let row = min(first + s, meta_.rows - 1u) * meta_.features;
        var a = state[i];
        for (var g = pass_.y; g < pass_.y + pass_.z; g++) {
          let op = ops[g];
          if ((idx & op.z) == op.z) {
            let m = matrix(op, row);
            a = mul(select(m[0], m[3], (idx & op.y) != 0u), a);
          }
        }
        state[i] = a;
      }
    } else {
      let op = ops[pass_.y];
      let swap = op_kind(op) == OP_SWAP;
      for (var p = lid; p < pairs; p += GROUP_SIZE) {
        let s = p / half_dim;
        let base = s * DIM;
        let i0 = pair_first(p - s * half_dim, op.y);
        var i1 = i0 + op.y;
        if (swap) {
          i1 = swap_partner(i0, op.y, op.z);
          if (i1 == i0) { continue; }
          let t = state[base + i0];
          state[base + i0] = state[base + i1];
          state[base + i1] = t;
          continue;
        }
        if ((i0 & op.z) != op.z) { continue; }
        let row = min(first + s, meta_.rows - 1u);
        let r = apply2(matrix(op, row * meta_.features), state[base + i0], state[base + i1]);
        state[base + i0] = r[0];
        state[base + i1] = r[1];
      }
    }
    workgroupBarrier();
  }
  if (meta_.outputs == DIM) {
    for (var i = lid; i < SLOTS; i += GROUP_SIZE) {
      let sample = first + i / DIM;
      if (sample < meta_.rows) { out[sample * DIM + (i & (DIM - 1u))] = prob(state[i]); }
    }
    return;
  }
  // Expert sums: store each probability in place, then sum each expert's block.
  for (var i = lid; i < SLOTS; i += GROUP_SIZE) { state[i] = from_prob(prob(state[i])); }
  workgroupBarrier();
  let outputs = meta_.outputs;
  if (EXPECT_Z) {
    // <Z_i> = sum_k p_k (1 - 2 bit_i(k)), qubit 0 the most significant bit.
    for (var t = lid; t < SAMPLES_PER_GROUP * QUBITS; t += GROUP_SIZE) {
      let s = t / QUBITS;
      let shift = QUBITS - 1u - (t - s * QUBITS);
      var acc = 0.0;
      for (var k = 0u; k < DIM; k++) {
        let p = as_prob(state[s * DIM + k]);
        acc += select(p, -p, ((k >> shift) & 1u) == 1u);
      }
      if (first + s < meta_.rows) { out[(first + s) * QUBITS + t - s * QUBITS] = acc; }
    }
    return;
  }
  for (var t = lid; t < SAMPLES_PER_GROUP * outputs; t += GROUP_SIZE) {
    let s = t / outputs;
    let e = t - s * outputs;
    var acc = 0.0;
    for (var k = bounds[e]; k < bounds[e + 1u]; k++) {
      acc += as_prob(state[s * DIM + k]);
    }
    if (first + s < meta_.rows) { out[(first + s) * outputs + e] = acc; }
  }
}
#else
#struct OpIndex
#include "lib/global-pair.wgsl"

@group(0) @binding(3) var<storage, read_write> state: array<Amp>;
@group(1) @binding(0) var<uniform> op_index: OpIndex;

override QUBITS: u32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  let half_dim = 1u << (QUBITS - 1u);
  if (p >= meta_.rows * half_dim) { return; }
  let op = ops[op_index.index];
  let pair = op_pair(p, op);
  let a = pair.x;
  let b = pair.y;
  if (pair.z == PAIR_SWAP) {
    let t = state[b];
    state[b] = state[a];
    state[a] = t;
  } else if (pair.z == PAIR_GATE) {
    let r = apply2(matrix(op, (p >> (QUBITS - 1u)) * meta_.features), state[a], state[b]);
    state[a] = r[0];
    state[b] = r[1];
  }
}
#endif
