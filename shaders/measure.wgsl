// Probabilities of states in global memory: for each (sample, output) the sum of |amplitude|^2
// over the output's block of basis states [bounds[o], bounds[o+1]); with one output per basis
// state (FULL) the block is the state itself. EXPECT_Z (an override constant): the outputs are
// <Z_i> = sum_k p_k (1 - 2 bit_i(k)) for every qubit i (outputs = n, qubit 0 the most significant bit).
// CHUNKED (an override constant; states of at least 2^11 amplitudes): the sums read the chunk sums
// of shaders/measure_chunks.wgsl (chunks of CHUNK = 1024 basis states) where a whole chunk counts,
// and the probabilities themselves only at a block's unaligned ends.

#struct Meta

#include "lib/amp.wgsl"

@group(0) @binding(0) var<storage, read> state: array<Amp>;
@group(0) @binding(1) var<storage, read> bounds: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> meta_: Meta;
@group(0) @binding(4) var<storage, read> chunks: array<f32>;   // CHUNKED: measure_chunks.wgsl's sums

override EXPECT_Z: bool = false;
override CHUNKED: bool = false;
const CHUNK_BITS: u32 = 10u;
const CHUNK: u32 = 1024u;

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
  if (CHUNKED) {
    out[t] = chunked_sum(sample, o);
    return;
  }
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

// The (sample, o) output from the chunk sums: <Z> of a qubit above the chunks' bits is the signed
// sum of the chunk totals; below, each chunk's total minus twice its sum over that bit. A block
// [first, last) adds its whole chunks' totals and the probabilities of its unaligned ends.
fn chunked_sum(sample: u32, o: u32) -> f32 {
  let per_row = meta_.dim >> CHUNK_BITS;
  var acc = 0.0;
  var part = 0.0;
  if (EXPECT_Z) {
    let shift = meta_.outputs - 1u - o;
    let row = sample * per_row * (CHUNK_BITS + 1u);
    for (var c = 0u; c < per_row; c++) {
      let w = row + c * (CHUNK_BITS + 1u);
      var z = 0.0;
      if (shift >= CHUNK_BITS) {
        z = select(chunks[w], -chunks[w], ((c >> (shift - CHUNK_BITS)) & 1u) == 1u);
      } else {
        z = chunks[w] - 2.0 * chunks[w + 1u + shift];
      }
      part += z;
      if ((c & (SUM_BLOCK - 1u)) == SUM_BLOCK - 1u) { acc += part; part = 0.0; }
    }
    return acc + part;
  }
  let base = sample * meta_.dim;
  let first = bounds[o];
  let last = bounds[o + 1u];
  let c0 = (first + CHUNK - 1u) >> CHUNK_BITS;
  let c1 = last >> CHUNK_BITS;
  if (c0 >= c1) {
    for (var k = first; k < last; k++) { acc += prob(state[base + k]); }
    return acc;
  }
  for (var k = first; k < c0 * CHUNK; k++) { acc += prob(state[base + k]); }
  for (var k = c1 * CHUNK; k < last; k++) { acc += prob(state[base + k]); }
  let row = sample * per_row;
  for (var c = c0; c < c1; c++) {
    part += chunks[row + c];
    if (((c - c0) & (SUM_BLOCK - 1u)) == SUM_BLOCK - 1u) { acc += part; part = 0.0; }
  }
  return acc + part;
}
