// Stage 2 of the global-memory adjoint's reduction: sums each sample's `blocks` partials of one op
// (shaders/global_gate.wgsl, BACKWARD) and adds the sum into the op's gradient slot of row
// first_row + s: grad_params[row * params + param_of[op.w]] for a trainable matrix,
// grad_features[row * features + op.w] for a feature rotation. Ops run in sequence, so the adds
// need no atomics.
// WG_REDUCE:  one workgroup per sample, a tree in workgroup memory.
// else:       one invocation per sample, a serial sum (no barrier: SwiftShader runs kernels with
//             barriers as coroutines, many times slower).

#struct Meta
#struct OpIndex

override GROUP_SIZE: u32 = 256u;
override SEG: u32 = 256u;

#include "gen/ops.wgsl"

@group(0) @binding(0) var<storage, read> ops: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read> param_of: array<u32>;
@group(0) @binding(3) var<storage, read_write> grad_params: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_features: array<f32>;
@group(0) @binding(5) var<uniform> meta_: Meta;
@group(1) @binding(0) var<uniform> op_index: OpIndex;

#include "lib/grad-sum.wgsl"

#if ${WG_REDUCE}
#include "lib/reduce.wgsl"

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = wg.x + wg.y * meta_.groups_x;
  var acc = 0.0;
  if (s < meta_.rows) {
    acc = partials_sum(s * meta_.blocks, lid, meta_.blocks, GROUP_SIZE);
  }
  let sum = segment_sum(lid, acc);
  if (lid == 0u && s < meta_.rows) { add_op_sum(s, ops[op_index.index], sum); }
}
#else
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = (wg.x + wg.y * meta_.groups_x) * 64u + lid;
  if (s >= meta_.rows) { return; }
  add_op_sum(s, ops[op_index.index], partials_sum(s * meta_.blocks, 0u, meta_.blocks, 1u));
}
#endif
