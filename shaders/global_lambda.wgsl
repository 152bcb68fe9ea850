// The start of the backward sweep of the global-memory adjoint: lambda = 2 (dL/dp_k) psi_k for
// every amplitude of a batch of states in global memory. Sample s of the dispatch reads the
// upstream row first_row + s (lib/upstream.wgsl, binding 3).

#struct Meta

override QUBITS: u32;

#include "lib/amp.wgsl"
#include "lib/upstream.wgsl"

@group(0) @binding(0) var<storage, read> psi: array<Amp>;
@group(0) @binding(1) var<storage, read_write> lam: array<Amp>;
@group(0) @binding(2) var<uniform> meta_: Meta;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  if (i >= meta_.count) { return; }
  let dim = 1u << QUBITS;
  let row = meta_.first_row + (i >> QUBITS);
  lam[i] = scale(2.0 * upstream_weight(row, meta_.outputs, QUBITS, dim, i & (dim - 1u)), psi[i]);
}
