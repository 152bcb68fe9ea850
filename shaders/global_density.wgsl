// One op of a noisy circuit on a batch of density matrices in global memory, spread over many
// workgroups (src/noise/density-global.ts): one dispatch per op, one invocation per unit of it
// (shaders/lib/density-op.wgsl: quads of a gate or one-qubit channel, entries of a swap, 4x4
// blocks of a two-qubit channel) of every sample; no barriers. The op is ops[op_index.index].
// Density matrices are always complex; sample s reads trig row s.

#struct Meta
#struct OpIndex

override QUBITS: u32;
override DIM: u32 = 1u << QUBITS;
override D2: u32 = DIM * DIM;

@group(0) @binding(3) var<storage, read_write> rho: array<vec2<f32>>;
@group(0) @binding(4) var<uniform> meta_: Meta;
@group(1) @binding(0) var<uniform> op_index: OpIndex;

#include "lib/density-op.wgsl"

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let u = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  let op = ops[op_index.index];
  let units = density_units(op_kind(op));
  if (u >= meta_.rows * units) { return; }
  let s = u / units;
  density_unit(op, u - s * units, s * D2, s * meta_.features);
}
