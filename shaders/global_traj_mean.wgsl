// Adds the trajectory mean of |psi|^2 of a chunk of trajectory states in global memory to the
// probabilities of their samples (src/noise/trajectories-global.ts). The chunk holds batch rows
// first_row .. first_row + rows - 1; batch row r is trajectory r % T of sample r / T. One
// invocation per (sample touched by the chunk, basis index): it alone adds to its entry of
// `out` (cleared before the first chunk), so no atomics.

#struct Meta

override QUBITS: u32;

#include "lib/amp.wgsl"

@group(0) @binding(0) var<storage, read> psi: array<Amp>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> meta_: Meta;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  let dim = 1u << QUBITS;
  let T = meta_.trajectories;
  let first_sample = meta_.first_row / T;
  let samples = (meta_.first_row + meta_.rows - 1u) / T - first_sample + 1u;
  if (i >= samples * dim) { return; }
  let sample = first_sample + (i >> QUBITS);
  let k = i & (dim - 1u);
  let lo = max(sample * T, meta_.first_row);
  let hi = min(sample * T + T, meta_.first_row + meta_.rows);
  var acc = 0.0;
  for (var r = lo; r < hi; r++) { acc += prob(psi[((r - meta_.first_row) << QUBITS) + k]); }
  out[sample * dim + k] += acc / f32(T);
}
