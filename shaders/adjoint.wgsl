// Fused adjoint-method gradient: one workgroup holds SAMPLES_PER_GROUP samples, each as two
// states in workgroup memory (psi and lambda). Per sample it
//   1. recomputes the forward state psi = U_G ... U_1 |0...0>,
//   2. builds lambda_k = 2 (dL/dp_k) psi_k from the upstream gradient dL/dout (rows x outputs),
//   3. sweeps the ops backwards: psi <- U_g^dagger psi; for a gate with a gradient slot
//      dL/dtheta_g = Re <lambda| dU_g/dtheta |psi> (a tree reduction over the amplitude pairs
//      in workgroup memory); lambda <- U_g^dagger lambda,
// and accumulates dL/dtheta into its per-sample slot: grad_params[row * params + k] for trainable
// parameter k, grad_features[row * features + i] for feature column i. One invocation per
// sample reads and writes its slots, in op order, so no atomics are needed.
//
// REAL: states and matrices are real (every gate real: RY, CRY, CZ, ...).
// Ops, matrices and trig table: shaders/lib/gates.wgsl; mats holds the gate matrices followed,
// from index meta_.dmat_offset, by their derivatives dU/dtheta (both computed in float64 on the
// host). Upstream gradient: shaders/lib/upstream.wgsl (its OUTPUT_KIND override).

#struct Meta

override QUBITS: u32;
override GROUP_SIZE: u32 = 64u;
override SAMPLES_PER_GROUP: u32 = 1u;
// Threads per sample in the reduction: min(2^(QUBITS-1), GROUP_SIZE), a power of two.
override SEG: u32 = 1u;
override DIM: u32 = 1u << QUBITS;
override SLOTS: u32 = SAMPLES_PER_GROUP * DIM;

#include "lib/gates.wgsl"
#include "lib/upstream.wgsl"
#include "lib/grad-slots.wgsl"
#include "lib/reduce.wgsl"
#include "lib/adjoint.wgsl"

@group(0) @binding(7) var<uniform> meta_: Meta;


@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let half_dim = DIM >> 1u;
  let pairs = SAMPLES_PER_GROUP * half_dim;
  let first = (wg.x + wg.y * meta_.groups_x) * SAMPLES_PER_GROUP;
  // The invocation that owns sample `mine`'s gradient slots (the first of its reduction segment).
  let mine = lid / SEG;
  let owner = (lid & (SEG - 1u)) == 0u && mine < SAMPLES_PER_GROUP && first + mine < meta_.rows;
  if (owner) {
    let row = first + mine;
    zero_slots(row);
  }
  for (var i = lid; i < SLOTS; i += GROUP_SIZE) { psi[i] = basis_zero(i & (DIM - 1u)); }
  workgroupBarrier();

  // 1. Forward.
  for (var g = 0u; g < meta_.num_ops; g++) {
    let op = ops[g];
    let swap = op_kind(op) == OP_SWAP;
    for (var p = lid; p < pairs; p += GROUP_SIZE) {
      let s = p / half_dim;
      let base = s * DIM;
      let i0 = pair_first(p - s * half_dim, op.y);
      if (swap) {
        let j = swap_partner(i0, op.y, op.z);
        if (j != i0) { swap_entries(base + i0, base + j, false); }
      } else if ((i0 & op.z) == op.z) {
        let row = min(first + s, meta_.rows - 1u);
        forward_pair(base + i0, base + i0 + op.y, matrix(op, row * meta_.features));
      }
    }
    workgroupBarrier();
  }

  // 2. lambda = 2 (dL/dp) psi; zero for the padding samples past the batch.
  for (var i = lid; i < SLOTS; i += GROUP_SIZE) {
    let row = first + i / DIM;
    var w = 0.0;
    if (row < meta_.rows) { w = upstream_weight(row, meta_.outputs, QUBITS, DIM, i & (DIM - 1u)); }
    lam[i] = scale(2.0 * w, psi[i]);
  }
  workgroupBarrier();

  // 3. Backward sweep.
  for (var gi = meta_.num_ops; gi > 0u; gi--) {
    let op = ops[gi - 1u];
    let kind = op_kind(op);
    let slot = grad_slot(op);
    let has_grad = slot != NO_INDEX;
    var partial = 0.0;
    for (var p = lid; p < pairs; p += GROUP_SIZE) {
      let s = p / half_dim;
      let base = s * DIM;
      let i0 = base + pair_first(p - s * half_dim, op.y);
      if (kind == OP_SWAP) {
        // A swap is its own inverse: undo it on both states.
        let j = base + swap_partner(i0 - base, op.y, op.z);
        if (j != i0) { swap_entries(i0, j, true); }
        continue;
      }
      if (((i0 - base) & op.z) != op.z) { continue; }
      let row = min(first + s, meta_.rows - 1u);
      let m = matrix(op, row * meta_.features);
      var d = m;
      if (has_grad) { d = derivative(op, row * meta_.features, meta_.dmat_offset); }
      partial += backward_pair(i0, i0 + op.y, m, d, has_grad);
    }
    if (has_grad) {
      let sum = segment_sum(lid, partial);
      if (owner) {
        let row = first + mine;
        add_to_slot(row, op, slot, sum);
      }
    } else {
      workgroupBarrier();
    }
  }
}
