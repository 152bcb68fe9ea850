// Noise-aware adjoint gradient by trajectories: one workgroup per (sample, trajectory) pair holds
// psi and lambda in workgroup memory. Per pair it
//   1. recomputes the forward state with the trajectory's Paulis inserted at the channel sites,
//      drawn from the counter-based hash of (seed, step, sample, trajectory, site) exactly as
//      shaders/trajectories.wgsl and src/noise/trajectories-cpu.ts draw them,
//   2. builds lambda = 2 (R dL/dp) psi from the upstream gradient dL/dout (rows x outputs), with
//      R the readout-error map (symmetric, so dL/dp = R dL/dp'),
//   3. sweeps the ops backwards: psi <- U^dagger psi and lambda <- U^dagger lambda (a drawn Pauli
//      P is undone by P itself: P^2 = +-1, the same sign on psi and lambda, so no gradient
//      changes); for a gate with a gradient slot dL/dtheta += Re <lambda| dU/dtheta |psi>
//      (a tree reduction in workgroup memory),
// into the pair's slots (lib/grad-slots.wgsl, row = sample * T + t): grad_params[row * params + k]
// for trainable parameter k, and when asked grad_features[row * features + i] for feature column
// i. The host sums the rows (parameters on the GPU by ColumnReducer) and divides by T.
// Invocation 0 owns the pair's slots, so no atomics are needed.
//
// REAL: states and matrices are real (every gate real; Y is applied as XZ, a global phase off).
// Ops as in shaders/trajectories.wgsl (gates and channels; shaders/lib/gates.wgsl); mats holds
// the gate matrices followed, from index meta_.dmat_offset, by their derivatives dU/dtheta
// (float64 on the host). Upstream gradient: shaders/lib/upstream.wgsl.

#struct Meta

override QUBITS: u32;
override GROUP_SIZE: u32 = 64u;
// Invocations in the reduction: min(2^(QUBITS-1), GROUP_SIZE), a power of two.
override SEG: u32 = 1u;
override DIM: u32 = 1u << QUBITS;
override SLOTS: u32 = DIM;   // one (sample, trajectory) pair per workgroup

#include "lib/gates.wgsl"
#include "lib/pauli.wgsl"
#include "lib/readout.wgsl"
#include "lib/upstream.wgsl"
#include "lib/grad-slots.wgsl"
#include "lib/reduce.wgsl"
#include "lib/adjoint.wgsl"

@group(0) @binding(7) var<uniform> meta_: Meta;

var<workgroup> wts: array<f32, DIM>;

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let T = meta_.trajectories;
  let pair_index = wg.x + wg.y * meta_.groups_x;
  if (pair_index >= meta_.rows * T) { return; }   // workgroup-uniform
  let sample = pair_index / T;
  let t = pair_index - sample * T;
  let half_dim = DIM >> 1u;
  let trig_row = sample * meta_.features;
  let prefix = pcg_hash(sample_prefix(meta_.seed, meta_.step, meta_.first_sample + sample) + t);
  if (lid == 0u) { zero_slots(pair_index); }
  for (var i = lid; i < DIM; i += GROUP_SIZE) { psi[i] = basis_zero(i); }
  workgroupBarrier();

  // 1. Forward, the drawn Paulis inserted.
  for (var g = 0u; g < meta_.num_ops; g++) {
    let op = ops[g];
    let kind = op_kind(op);
    if (is_channel(kind)) {
      let masks = draw(op, prefix);
      if (masks.x != 0u || masks.y != 0u) {
        for (var j = lid; j < half_dim; j += GROUP_SIZE) {
          let pp = pauli_pair(j, masks);
          let r = pauli_apply(pp, psi[pp.k0], psi[pp.k1]);
          psi[pp.k0] = r[0];
          psi[pp.k1] = r[1];
        }
      }
      workgroupBarrier();
      continue;
    }
    for (var j = lid; j < half_dim; j += GROUP_SIZE) {
      let i0 = pair_first(j, op.y);
      if (kind == OP_SWAP) {
        let k = swap_partner(i0, op.y, op.z);
        if (k != i0) { swap_entries(i0, k, false); }
      } else if ((i0 & op.z) == op.z) {
        forward_pair(i0, i0 + op.y, matrix(op, trig_row));
      }
    }
    workgroupBarrier();
  }

  // 2. dL/dp, then the readout map R on it (bit by bit), then lambda = 2 (R dL/dp) psi.
  for (var k = lid; k < DIM; k += GROUP_SIZE) { wts[k] = upstream_weight(sample, meta_.outputs, QUBITS, DIM, k); }
  workgroupBarrier();
  let r = meta_.readout;
  if (r > 0.0) {
    for (var qb = 0u; qb < QUBITS; qb++) {
      let bit = 1u << qb;
      for (var j = lid; j < half_dim; j += GROUP_SIZE) {
        let k0 = pair_first(j, bit);
        let v = readout_pair(r, wts[k0], wts[k0 + bit]);
        wts[k0] = v.x;
        wts[k0 + bit] = v.y;
      }
      workgroupBarrier();
    }
  }
  for (var k = lid; k < DIM; k += GROUP_SIZE) { lam[k] = scale(2.0 * wts[k], psi[k]); }
  workgroupBarrier();

  // 3. Backward sweep. A drawn Pauli P is undone by P itself (P^2 = +-1, the same sign on psi
  // and lambda), a swap by itself.
  for (var gi = meta_.num_ops; gi > 0u; gi--) {
    let op = ops[gi - 1u];
    let kind = op_kind(op);
    var masks = vec2<u32>(0u, 0u);
    if (is_channel(kind)) {
      masks = draw(op, prefix);
      if (masks.x == 0u && masks.y == 0u) { continue; }   // workgroup-uniform: no barrier skipped
    }
    let slot = grad_slot(op);
    let has_grad = slot != NO_INDEX;
    var partial = 0.0;
    for (var j = lid; j < half_dim; j += GROUP_SIZE) {
      let i0 = pair_first(j, op.y);
      if (is_channel(kind)) {
        let pp = pauli_pair(j, masks);
        let x = pauli_apply(pp, psi[pp.k0], psi[pp.k1]);
        let l = pauli_apply(pp, lam[pp.k0], lam[pp.k1]);
        psi[pp.k0] = x[0];
        psi[pp.k1] = x[1];
        lam[pp.k0] = l[0];
        lam[pp.k1] = l[1];
        continue;
      }
      if (kind == OP_SWAP) {
        let k = swap_partner(i0, op.y, op.z);
        if (k != i0) { swap_entries(i0, k, true); }
        continue;
      }
      if ((i0 & op.z) != op.z) { continue; }
      let m = matrix(op, trig_row);
      var d = m;
      if (has_grad) { d = derivative(op, trig_row, meta_.dmat_offset); }
      partial += backward_pair(i0, i0 + op.y, m, d, has_grad);
    }
    if (has_grad) {
      let sum = segment_sum(lid, partial);
      if (lid == 0u) { add_to_slot(pair_index, op, slot, sum); }
    } else {
      workgroupBarrier();
    }
  }
}
