// Stage 2 of the global-memory adjoint's reduction: adding a sample's summed term of an op to its
// gradient slot. Needs the kernel's bindings `param_of`, `grad_params`, `grad_features` and its
// `meta_` (first_row, params, features); ops run in sequence, so the adds need no atomics.
#include "gen/ops.wgsl"

// Adds `sum`, sample s's term of op `op`, to the op's slot of row first_row + s:
// grad_params[row * params + param_of[op.w]] for a trainable matrix, grad_features[row *
// features + op.w] for a feature rotation.
fn add_op_sum(s: u32, op: vec4<u32>, sum: f32) {
  let row = meta_.first_row + s;
  if ((op.x & OP_KIND_MASK) == OP_MATRIX) {
    grad_params[row * meta_.params + param_of[op.w]] += sum;
  } else {
    grad_features[row * meta_.features + op.w] += sum;
  }
}
