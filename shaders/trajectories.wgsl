// Noisy probabilities by Monte-Carlo trajectories: one workgroup per sample runs its T
// trajectories, SLOTS_PER_GROUP state vectors at a time in workgroup memory; at every channel a
// Pauli is drawn from a counter-based hash of (seed, step, sample, trajectory, site), the same
// integer code as src/noise/rng.ts and src/noise/trajectories-cpu.ts, so CPU and GPU draw the
// same Paulis. The mean of |psi|^2 over trajectories accumulates in `out` (each entry owned by one
// invocation: no atomics), then readout error is applied in place.
//
// REAL: states and matrices are real (every gate real; Y is applied as XZ, a global phase off).
//
// Ops (gates, and channels of kind OP_CHANNEL1 / OP_CHANNEL2 with their site and 24-bit rate
// threshold), matrices and the trig table: shaders/lib/gates.wgsl; the Pauli draws:
// shaders/lib/pauli.wgsl.

#include "lib/gates.wgsl"
#include "lib/pauli.wgsl"
#include "lib/readout.wgsl"

override QUBITS: u32;
override GROUP_SIZE: u32 = 64u;
override SLOTS_PER_GROUP: u32 = 1u;

#struct Meta

@group(0) @binding(3) var<storage, read_write> out: array<f32>;   // rows x DIM
@group(0) @binding(4) var<uniform> meta_: Meta;

override DIM: u32 = 1u << QUBITS;
override SLOTS: u32 = SLOTS_PER_GROUP * DIM;

var<workgroup> state: array<Amp, SLOTS>;

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let sample = wg.x + wg.y * meta_.groups_x;
  if (sample >= meta_.rows) { return; }   // workgroup-uniform
  let half_dim = DIM >> 1u;
  let pairs = SLOTS_PER_GROUP * half_dim;
  let T = meta_.trajectories;
  let global_sample = meta_.first_sample + sample;
  let pre = sample_prefix(meta_.seed, meta_.step, global_sample);
  let trig_row = sample * meta_.features;
  for (var t0 = 0u; t0 < T; t0 += SLOTS_PER_GROUP) {
    for (var i = lid; i < SLOTS; i += GROUP_SIZE) { state[i] = basis_zero(i & (DIM - 1u)); }
    workgroupBarrier();
    for (var g = 0u; g < meta_.num_ops; g++) {
      let op = ops[g];
      let kind = op_kind(op);
      var cached_slot = 0xffffffffu;
      var masks = vec2<u32>(0u, 0u);
      for (var p = lid; p < pairs; p += GROUP_SIZE) {
        let s = p / half_dim;
        let base = s * DIM;
        let j = p - s * half_dim;
        if (is_channel(kind)) {
          if (s != cached_slot) {
            masks = draw(op, pcg_hash(pre + t0 + s));
            cached_slot = s;
          }
          if (masks.x == 0u && masks.y == 0u) { continue; }
          let pp = pauli_pair(j, masks);
          let r = pauli_apply(pp, state[base + pp.k0], state[base + pp.k1]);
          state[base + pp.k0] = r[0];
          state[base + pp.k1] = r[1];
          continue;
        }
        let i0 = pair_first(j, op.y);
        if (kind == OP_SWAP) {
          let k = swap_partner(i0, op.y, op.z);
          if (k != i0) {
            let tmp = state[base + i0];
            state[base + i0] = state[base + k];
            state[base + k] = tmp;
          }
          continue;
        }
        if ((i0 & op.z) != op.z) { continue; }
        let r = apply2(matrix(op, trig_row), state[base + i0], state[base + i0 + op.y]);
        state[base + i0] = r[0];
        state[base + i0 + op.y] = r[1];
      }
      workgroupBarrier();
    }
    // Accumulate the slots that hold real trajectories (t0 + s < T).
    let live = min(SLOTS_PER_GROUP, T - t0);
    for (var k = lid; k < DIM; k += GROUP_SIZE) {
      var acc = 0.0;
      for (var s = 0u; s < live; s++) { acc += prob(state[s * DIM + k]); }
      let o = sample * DIM + k;
      if (t0 == 0u) { out[o] = acc; } else { out[o] += acc; }
    }
    workgroupBarrier();
  }
  let inv = 1.0 / f32(T);
  for (var k = lid; k < DIM; k += GROUP_SIZE) { out[sample * DIM + k] *= inv; }
  let r = meta_.readout;
  if (r > 0.0) {
    for (var qb = 0u; qb < QUBITS; qb++) {
      storageBarrier();
      let bit = 1u << qb;
      for (var i = lid; i < half_dim; i += GROUP_SIZE) {
        let k0 = sample * DIM + pair_first(i, bit);
        let v = readout_pair(r, out[k0], out[k0 + bit]);
        out[k0] = v.x;
        out[k0 + bit] = v.y;
      }
    }
  }
}
