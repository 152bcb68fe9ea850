enable subgroups;
// The circuit of many samples with each sample's state in the registers of LANES invocations of
// one subgroup (shaders/lib/subgroup.wgsl): no workgroup memory and no barriers; gates on high
// qubits exchange amplitudes with subgroupShuffleXor. Runs the passes of src/sim/passes.ts (a
// diagonal pass scales in place; the gates of a cube pass follow each other in registers) and
// writes the probabilities, expert sums or <Z> of each sample, as the FUSED statevector kernel.
// REAL: states and matrices are real. Ops, matrices, trig table: shaders/lib/gates.wgsl.

#struct Meta

@group(0) @binding(4) var<uniform> meta_: Meta;

#include "lib/gates.wgsl"

override QUBITS: u32;
// Lanes per sample (a power of two, at most the subgroup's size) and amplitudes per lane.
override LANES: u32 = 1u;
override REGS: u32 = (1u << QUBITS) / LANES;
override GROUP_SIZE: u32 = 64u;
override DIM: u32 = 1u << QUBITS;
override EXPECT_Z: bool = false;

#include "lib/subgroup.wgsl"

@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> bounds: array<u32>;
@group(0) @binding(6) var<storage, read> passes: array<vec4<u32>>;   // kind, first op, op count

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let sample = (wg.x + wg.y * meta_.groups_x) * (GROUP_SIZE / LANES) + lid / LANES;
  let lane = lid & (LANES - 1u);
  let hi = lane * REGS;
  // Padding samples past the batch run row rows - 1 (their lanes take part in the shuffles).
  let trow = min(sample, meta_.rows - 1u) * meta_.features;
  var a: Regs;
  for (var r = 0u; r < REGS; r++) { a[r] = basis_zero(hi + r); }
  for (var q = 0u; q < meta_.num_ops; q++) {
    let pass_ = passes[q];
    let diagonal = pass_.x == PASS_DIAGONAL;
    for (var g = pass_.y; g < pass_.y + pass_.z; g++) {
      let op = ops[g];
      if (op_kind(op) == OP_SWAP) {
        swap_regs(&a, op.y, op.z, hi);
      } else {
        gate_regs(&a, op.y, op.z, matrix(op, trow), diagonal || op_diagonal(op), hi);
      }
    }
  }
  let valid = sample < meta_.rows;
  let outputs = meta_.outputs;
  if (outputs == DIM) {
    for (var r = 0u; r < REGS; r++) {
      if (valid) { out[sample * DIM + hi + r] = prob(a[r]); }
    }
    return;
  }
  if (EXPECT_Z) {
    // <Z_i> = sum_k p_k (1 - 2 bit_i(k)), qubit 0 the most significant bit.
    for (var i = 0u; i < QUBITS; i++) {
      let bit = 1u << (QUBITS - 1u - i);
      var acc = 0.0;
      for (var r = 0u; r < REGS; r++) {
        let p = prob(a[r]);
        acc += select(p, -p, ((hi + r) & bit) != 0u);
      }
      let total = lane_sum(acc);
      if (valid && lane == 0u) { out[sample * QUBITS + i] = total; }
    }
    return;
  }
  for (var e = 0u; e < outputs; e++) {
    var acc = 0.0;
    for (var r = 0u; r < REGS; r++) {
      let k = hi + r;
      if (k >= bounds[e] && k < bounds[e + 1u]) { acc += prob(a[r]); }
    }
    let total = lane_sum(acc);
    if (valid && lane == 0u) { out[sample * outputs + e] = total; }
  }
}
