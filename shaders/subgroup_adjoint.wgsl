enable subgroups;
// Adjoint-method gradient with each sample's two states (psi and lambda) in the registers of
// LANES invocations of one subgroup (shaders/lib/subgroup.wgsl): the method, bindings and
// per-sample gradient slots of shaders/adjoint.wgsl, without workgroup memory or barriers.
//   1. psi = U_G ... U_1 |0...0>;  2. lambda_k = 2 (dL/dp_k) psi_k;
//   3. for g = G..1: psi <- U_g^dagger psi; dL/dtheta_g = Re <lambda| dU_g/dtheta |psi> (summed over
//      the sample's lanes with shuffles); lambda <- U_g^dagger lambda.
// Lane 0 of each sample owns its slots: grad_params[row * params + k], grad_features[row * features + i].
// REAL: states and matrices are real.

#struct Meta

override QUBITS: u32;
override LANES: u32 = 1u;
override REGS: u32 = (1u << QUBITS) / LANES;
override GROUP_SIZE: u32 = 64u;
override DIM: u32 = 1u << QUBITS;

#include "lib/gates.wgsl"
#include "lib/upstream.wgsl"
#include "lib/grad-slots.wgsl"
#include "lib/subgroup.wgsl"

@group(0) @binding(7) var<uniform> meta_: Meta;

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let sample = (wg.x + wg.y * meta_.groups_x) * (GROUP_SIZE / LANES) + lid / LANES;
  let lane = lid & (LANES - 1u);
  let hi = lane * REGS;
  let valid = sample < meta_.rows;
  let owner = valid && lane == 0u;
  let trow = min(sample, meta_.rows - 1u) * meta_.features;
  if (owner) {
    zero_slots(sample);
  }
  var psi: Regs;
  var lam: Regs;
  for (var r = 0u; r < REGS; r++) { psi[r] = basis_zero(hi + r); }

  // 1. Forward.
  for (var g = 0u; g < meta_.num_ops; g++) {
    let op = ops[g];
    if (op_kind(op) == OP_SWAP) {
      swap_regs(&psi, op.y, op.z, hi);
    } else {
      gate_regs(&psi, op.y, op.z, matrix(op, trow), op_diagonal(op), hi);
    }
  }

  // 2. lambda = 2 (dL/dp) psi; zero for the padding samples past the batch.
  for (var r = 0u; r < REGS; r++) {
    var w = 0.0;
    if (valid) { w = upstream_weight(sample, meta_.outputs, QUBITS, DIM, hi + r); }
    lam[r] = scale(2.0 * w, psi[r]);
  }

  // 3. Backward sweep.
  for (var gi = meta_.num_ops; gi > 0u; gi--) {
    let op = ops[gi - 1u];
    let kind = op_kind(op);
    if (kind == OP_SWAP) {
      swap_regs(&psi, op.y, op.z, hi);
      swap_regs(&lam, op.y, op.z, hi);
      continue;
    }
    let slot = grad_slot(op);
    let mh = dagger(matrix(op, trow));
    let diag = op_diagonal(op);
    gate_regs(&psi, op.y, op.z, mh, diag, hi);
    if (slot != NO_INDEX) {
      let d = derivative(op, trow, meta_.dmat_offset);
      let sum = lane_sum(derivative_regs(&lam, &psi, op.y, op.z, d, hi));
      if (owner) {
        add_to_slot(sample, op, slot, sum);
      }
    }
    gate_regs(&lam, op.y, op.z, mh, diag, hi);
  }
}
