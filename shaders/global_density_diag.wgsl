// The diagonal of a batch of density matrices in global memory (basis-state probabilities before
// readout error; src/noise/density-global.ts). One invocation per (sample, basis index).

#struct Meta

override QUBITS: u32;

@group(0) @binding(0) var<storage, read> rho: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> meta_: Meta;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  if (i >= meta_.count) { return; }
  let k = i & ((1u << QUBITS) - 1u);
  let s = i >> QUBITS;
  out[i] = rho[(s << (2u * QUBITS)) + k * (1u << QUBITS) + k].x;
}
