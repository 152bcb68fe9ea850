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

#include "lib/grad-sum.wgsl"

// Where sample s's partials of the gradient column of tile-op record r start.
fn column_start(r: vec4<u32>, s: u32) -> u32 { return (r.w * meta_.rows + s) * meta_.blocks; }

#if ${WG_REDUCE}
#include "lib/reduce.wgsl"
#endif

#if ${WG_REDUCE}
@compute @workgroup_size(GROUP_SIZE)
#else
@compute @workgroup_size(64)
#endif
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
#if ${WG_REDUCE}
  let s = wg.x + wg.y * meta_.groups_x;
  let start = lid;
  let step = GROUP_SIZE;
#else
  let s = (wg.x + wg.y * meta_.groups_x) * 64u + lid;
  let start = 0u;
  let step = 1u;
#endif
  if (s >= meta_.rows) { return; }
  for (var k = 0u; k < pass_index.count; k++) {
    let r = tile_ops[pass_index.first + k];
    if (r.w == NO_INDEX) { continue; }
    let at = column_start(r, s);
    let acc = partials_sum(at, start, meta_.blocks, step);
#if ${WG_REDUCE}
    let sum = segment_sum(lid, acc);
    if (lid == 0u) { add_op_sum(s, ops[r.x], sum); }
    workgroupBarrier();
#else
    add_op_sum(s, ops[r.x], acc);
#endif
  }
}
