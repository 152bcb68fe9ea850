// One gate op applied to a batch of states in global memory, with a row offset, for the
// global-memory adjoint (src/sim/adjoint-global.ts). One invocation per amplitude pair; the op is
// ops[op_index.index] (a uniform at a dynamic offset of group 1, as the global forward path).
//
// else:      psi <- U psi (the forward pass).
// BACKWARD:  one step of the backward sweep: psi <- U^dagger psi; for an op with a gradient slot
//            each invocation's term Re <lambda| dU |psi> of its pair is summed over its workgroup
//            (stage 1 of the reduction) into partials[p / SEG]: one partial per workgroup, or per
//            sample when a state has fewer pairs than a workgroup; lambda <- U^dagger lambda.
//            WG_REDUCE off: no workgroup sum and no barrier (SwiftShader runs this kernel with a
//            barrier about 10x slower): each invocation writes its pair's term to partials[p],
//            and stage 2 sums 2^(QUBITS-1) partials per sample.
//            shaders/global_grad_sum.wgsl (stage 2) adds a sample's partials into its slot.
// REAL:      states and matrices are real.
//
// Ops, matrices (and, from meta_.dmat_offset, their derivatives), the trig table: lib/gates.wgsl.
// Sample s of the dispatch reads trig row first_row + s.

#struct Meta
#struct OpIndex

override QUBITS: u32;
override GROUP_SIZE: u32 = 256u;
// Invocations per reduction segment: min(2^(QUBITS-1), GROUP_SIZE).
override SEG: u32 = 256u;

#include "lib/gates.wgsl"
#include "lib/global-pair.wgsl"

@group(0) @binding(3) var<storage, read_write> psi: array<Amp>;
@group(0) @binding(7) var<uniform> meta_: Meta;
@group(1) @binding(0) var<uniform> op_index: OpIndex;

// A swap gate on one pair of psi.
fn swap_psi(a: u32, b: u32) {
  let t = psi[b];
  psi[b] = psi[a];
  psi[a] = t;
}

#if ${BACKWARD}
#if ${WG_REDUCE}
#include "lib/reduce.wgsl"
#endif

@group(0) @binding(4) var<storage, read_write> lam: array<Amp>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;
@group(0) @binding(6) var<storage, read> param_of: array<u32>;   // per matrix: param index or NO_INDEX

fn swap_lam(a: u32, b: u32) {
  let t = lam[b];
  lam[b] = lam[a];
  lam[a] = t;
}

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = (wg.x + wg.y * meta_.groups_x) * GROUP_SIZE + lid;
  let half_dim = 1u << (QUBITS - 1u);
  let op = ops[op_index.index];
  let kind = op_kind(op);
  var has_grad = false;
  if (kind == OP_MATRIX) { has_grad = param_of[op.w] != NO_INDEX; }
  if (kind == OP_FEATURE_ROTATION) { has_grad = meta_.want_features != 0u; }
  let inside = p < meta_.rows * half_dim;
  var partial = 0.0;
  if (inside) {
    let pair = op_pair(p, op);
    let a = pair.x;
    let b = pair.y;
    if (pair.z == PAIR_SWAP) {
      // A swap is its own inverse: undo it on both states.
      swap_psi(a, b);
      swap_lam(a, b);
    } else if (pair.z == PAIR_GATE) {
      let trig_row = (meta_.first_row + (p >> (QUBITS - 1u))) * meta_.features;
      let m = matrix(op, trig_row);
      let x = apply2_adjoint(m, psi[a], psi[b]);
      psi[a] = x[0];
      psi[b] = x[1];
      let la = lam[a];
      let lb = lam[b];
      if (has_grad) { partial = pair_derivative(derivative(op, trig_row, meta_.dmat_offset), la, lb, x[0], x[1]); }
      let l = apply2_adjoint(m, la, lb);
      lam[a] = l[0];
      lam[b] = l[1];
    }
  }
#if ${WG_REDUCE}
  if (has_grad) {
    let sum = segment_sum(lid, partial);
    if (inside && (lid & (SEG - 1u)) == 0u) { partials[p / SEG] = sum; }
  }
#else
  if (has_grad && inside) { partials[p] = partial; }
#endif
}
#else
@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = (wg.x + wg.y * meta_.groups_x) * GROUP_SIZE + lid;
  let half_dim = 1u << (QUBITS - 1u);
  if (p >= meta_.rows * half_dim) { return; }
  let op = ops[op_index.index];
  let pair = op_pair(p, op);
  let a = pair.x;
  let b = pair.y;
  if (pair.z == PAIR_SWAP) {
    swap_psi(a, b);
  } else if (pair.z == PAIR_GATE) {
    let r = apply2(matrix(op, (meta_.first_row + (p >> (QUBITS - 1u))) * meta_.features), psi[a], psi[b]);
    psi[a] = r[0];
    psi[b] = r[1];
  }
}
#endif
