// Sets every state of a batch to |0...0> (global-memory path).

#struct Meta

#include "lib/amp.wgsl"

@group(0) @binding(0) var<storage, read_write> state: array<Amp>;
@group(0) @binding(1) var<uniform> meta_: Meta;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  if (i >= meta_.count) { return; }
  state[i] = basis_zero(i & (meta_.dim - 1u));
}
