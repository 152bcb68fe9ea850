// Stage 2 of the global-memory adjoint's reduction: one workgroup per sample sums the sample's
// `blocks` partials of one op (shaders/global_gate.wgsl, BACKWARD) and adds the sum into the
// op's gradient slot of row first_row + s: grad_params[row * params + param_of[op.w]] for a
// trainable matrix, grad_features[row * features + op.w] for a feature rotation. Ops run in
// sequence, so the adds need no atomics.

#struct Meta
#struct OpIndex

override GROUP_SIZE: u32 = 256u;
override SEG: u32 = 256u;

#include "gen/ops.wgsl"
#include "lib/reduce.wgsl"

@group(0) @binding(0) var<storage, read> ops: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read> param_of: array<u32>;
@group(0) @binding(3) var<storage, read_write> grad_params: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_features: array<f32>;
@group(0) @binding(5) var<uniform> meta_: Meta;
@group(1) @binding(0) var<uniform> op_index: OpIndex;

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = wg.x + wg.y * meta_.groups_x;
  var acc = 0.0;
  if (s < meta_.rows) {
    for (var b = lid; b < meta_.blocks; b += GROUP_SIZE) { acc += partials[s * meta_.blocks + b]; }
  }
  let sum = segment_sum(lid, acc);
  if (lid != 0u || s >= meta_.rows) { return; }
  let op = ops[op_index.index];
  let row = meta_.first_row + s;
  if ((op.x & OP_KIND_MASK) == OP_MATRIX) {
    grad_params[row * meta_.params + param_of[op.w]] += sum;
  } else {
    grad_features[row * meta_.features + op.w] += sum;
  }
}
