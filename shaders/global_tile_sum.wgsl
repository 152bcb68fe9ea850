// Stage 2 of a fused backward pass of the global-memory adjoint (shaders/global_tile.wgsl,
// BACKWARD): for each op of the pass with a gradient column j (tile-op record word w), in the
// pass's order, sums sample s's `blocks` partials of column j and adds the sum into the op's
// gradient slot of row first_row + s: grad_params[row * params + param_of[op.w]] for a trainable
// matrix, grad_features[row * features + op.w] for a feature rotation. The columns of a sample
// are summed one after the other (two ops of a pass may share a slot), so no atomics.
// WG_REDUCE:  one workgroup per sample, a tree in workgroup memory per column.
// else:       one invocation per sample, serial sums (no barrier: SwiftShader).

#struct Meta
#struct PassIndex

override GROUP_SIZE: u32 = 256u;
override SEG: u32 = 256u;

#include "gen/ops.wgsl"

@group(0) @binding(0) var<storage, read> ops: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> tile_ops: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> partials: array<f32>;
@group(0) @binding(3) var<storage, read> param_of: array<u32>;
@group(0) @binding(4) var<storage, read_write> grad_params: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_features: array<f32>;
@group(0) @binding(6) var<uniform> meta_: Meta;
@group(1) @binding(0) var<uniform> pass_index: PassIndex;

// Adds a sample's summed term of the op of tile-op record r to its gradient slot.
fn add_column_sum(s: u32, r: vec4<u32>, sum: f32) {
  let op = ops[r.x];
  let row = meta_.first_row + s;
  if ((op.x & OP_KIND_MASK) == OP_MATRIX) {
    grad_params[row * meta_.params + param_of[op.w]] += sum;
  } else {
    grad_features[row * meta_.features + op.w] += sum;
  }
}

#if ${WG_REDUCE}
#include "lib/reduce.wgsl"

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = wg.x + wg.y * meta_.groups_x;
  if (s >= meta_.rows) { return; }
  for (var k = 0u; k < pass_index.count; k++) {
    let r = tile_ops[pass_index.first + k];
    if (r.w == NO_INDEX) { continue; }
    let at = (r.w * meta_.rows + s) * meta_.blocks;
    var acc = 0.0;
    for (var b = lid; b < meta_.blocks; b += GROUP_SIZE) { acc += partials[at + b]; }
    let sum = segment_sum(lid, acc);
    if (lid == 0u) { add_column_sum(s, r, sum); }
    workgroupBarrier();
  }
}
#else
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = (wg.x + wg.y * meta_.groups_x) * 64u + lid;
  if (s >= meta_.rows) { return; }
  for (var k = 0u; k < pass_index.count; k++) {
    let r = tile_ops[pass_index.first + k];
    if (r.w == NO_INDEX) { continue; }
    let at = (r.w * meta_.rows + s) * meta_.blocks;
    var acc = 0.0;
    for (var b = 0u; b < meta_.blocks; b++) { acc += partials[at + b]; }
    add_column_sum(s, r, acc);
  }
}
#endif
