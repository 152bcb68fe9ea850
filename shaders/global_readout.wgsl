// Readout error on one qubit of a batch of probability rows in global memory (one dispatch per
// qubit; src/noise/trajectories-global.ts): each pair (k0, k0 | bit) of a row is mixed by the
// bit-flip map of rate r. One invocation per pair.

#struct Meta

override QUBITS: u32;

#include "lib/bits.wgsl"
#include "lib/readout.wgsl"

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> meta_: Meta;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  let half_dim = 1u << (QUBITS - 1u);
  if (p >= meta_.rows * half_dim) { return; }
  let k0 = ((p >> (QUBITS - 1u)) << QUBITS) + pair_first(p & (half_dim - 1u), meta_.bit);
  let v = readout_pair(meta_.readout, out[k0], out[k0 + meta_.bit]);
  out[k0] = v.x;
  out[k0 + meta_.bit] = v.y;
}
