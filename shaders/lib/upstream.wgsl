// The upstream gradient dL/dout of the adjoint kernels (rows x outputs f32, binding 3) and the
// weights dL/dp_k it gives each basis state. OUTPUT_KIND (an override) says what the outputs are:
// OUTPUT_PROBABILITIES (outputs = 2^n), OUTPUT_EXPERTS (contiguous blocks of expertBounds) or
// OUTPUT_EXPECT_Z (<Z_i> for every qubit i).
#include "gen/ops.wgsl"

@group(0) @binding(3) var<storage, read> upstream: array<f32>;

override OUTPUT_KIND: u32 = 0u;

// dL/dp_k of the sample `row` of an n-qubit (2^n = dim) circuit with `outputs` outputs per row.
fn upstream_weight(row: u32, outputs: u32, qubits: u32, dim: u32, k: u32) -> f32 {
  let o = row * outputs;
  if (OUTPUT_KIND == OUTPUT_PROBABILITIES) { return upstream[o + k]; }
  if (OUTPUT_KIND == OUTPUT_EXPERTS) {
    // Expert e owns [floor(e dim / E), floor((e + 1) dim / E)): e = floor(((k + 1) E - 1) / dim).
    return upstream[o + ((k + 1u) * outputs - 1u) / dim];
  }
  var acc = 0.0;
  for (var i = 0u; i < qubits; i++) {
    let u = upstream[o + i];
    acc += select(u, -u, ((k >> (qubits - 1u - i)) & 1u) == 1u);
  }
  return acc;
}

