// Probabilities of states in global memory: for each (sample, output) the sum of |amplitude|^2
// over the output's block of basis states [bounds[o], bounds[o+1]); with one output per basis
// state (FULL) the block is the state itself. EXPECT_Z (an override constant): the outputs are
// <Z_i> = sum_k p_k (1 - 2 bit_i(k)) for every qubit i (outputs = n, qubit 0 the most significant bit).

#struct Meta

#include "lib/amp.wgsl"

@group(0) @binding(0) var<storage, read> state: array<Amp>;
@group(0) @binding(1) var<storage, read> bounds: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> meta_: Meta;

override EXPECT_Z: bool = false;

// A sum over many terms (up to 2^n at n qubits) is taken in blocks of SUM_BLOCK terms, each
// block's sum then added to the total: the f32 rounding grows with SUM_BLOCK + terms / SUM_BLOCK
// instead of with the number of terms (one plain running sum lost 3e-4 of the probability mass
// of a 20-qubit state's 4 expert blocks).
const SUM_BLOCK: u32 = 1024u;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  if (t >= meta_.count) { return; }
  let sample = t / meta_.outputs;
  let o = t % meta_.outputs;
  let base = sample * meta_.dim;
#if ${FULL}
  out[t] = prob(state[base + o]);
#else
  var acc = 0.0;
  var part = 0.0;
  if (EXPECT_Z) {
    let shift = meta_.outputs - 1u - o;
    for (var k = 0u; k < meta_.dim; k++) {
      let p = prob(state[base + k]);
      part += select(p, -p, ((k >> shift) & 1u) == 1u);
      if ((k & (SUM_BLOCK - 1u)) == SUM_BLOCK - 1u) { acc += part; part = 0.0; }
    }
  } else {
    let first = bounds[o];
    for (var k = first; k < bounds[o + 1u]; k++) {
      part += prob(state[base + k]);
      if (((k - first) & (SUM_BLOCK - 1u)) == SUM_BLOCK - 1u) { acc += part; part = 0.0; }
    }
  }
  out[t] = acc + part;
#endif
}
