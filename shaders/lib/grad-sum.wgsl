// Stage 2 of the global-memory adjoint's reduction: summing a sample's partial terms of an op and
// adding the sum to its gradient slot. Needs the kernel's bindings `partials`, `param_of`,
// `grad_params`, `grad_features` and its `meta_` (first_row, params, features); ops run in
// sequence, so the adds need no atomics.
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

// Terms summed before their sum joins the total (see partials_sum).
const SUM_BLOCK: u32 = 1024u;

// partials[at + b] summed for b = start, start + step, ... below count, in blocks of SUM_BLOCK
// terms: the f32 rounding then grows with SUM_BLOCK + terms / SUM_BLOCK, not with the number of
// terms (without a workgroup reduction one invocation sums a sample's 2^(n-1) partials).
fn partials_sum(at: u32, start: u32, count: u32, step: u32) -> f32 {
  var acc = 0.0;
  var part = 0.0;
  var m = 0u;
  for (var b = start; b < count; b += step) {
    part += partials[at + b];
    m++;
    if (m == SUM_BLOCK) {
      acc += part;
      part = 0.0;
      m = 0u;
    }
  }
  return acc + part;
}
