// Stage 1 of the measurement of states in global memory: per aligned chunk of CHUNK = 1024 basis
// states of one sample (state index id * CHUNK, as dim is a multiple of CHUNK) the sum of its
// probabilities, chunks[id * W] = sum_k p_k, and with EXPECT_Z also, for each of the chunk's low
// bits b < 10, chunks[id * W + 1 + b] = the sum of p_k over the k with bit b set (W = 11; else
// W = 1). Stage 2 (shaders/measure.wgsl with CHUNKED) adds chunk sums instead of every
// probability: a (sample, output) sum takes dim / 1024 terms instead of dim, and the chunks'
// work is spread over the whole device.
//
// WG_REDUCE: one workgroup per chunk, 4 terms per invocation and a tree in workgroup memory (a
// GPU); else one invocation per chunk, no barrier (SwiftShader runs barriers about 10x slower).

#struct Meta

#include "lib/amp.wgsl"

@group(0) @binding(0) var<storage, read> state: array<Amp>;
@group(0) @binding(1) var<storage, read_write> chunks: array<f32>;
@group(0) @binding(2) var<uniform> meta_: Meta;

override EXPECT_Z: bool = false;

const GROUP: u32 = 256u;
const CHUNK: u32 = 1024u;
const LOW_BITS: u32 = 10u;
const LANES: u32 = 11u;

#if ${WG_REDUCE}
var<workgroup> red: array<f32, 2816>;   // LANES x GROUP partial sums

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let id = wg.x + wg.y * meta_.groups_x;
  if (id >= meta_.count) { return; }   // workgroup-uniform
  let base = id * CHUNK;
  var total = 0.0;
  var bits: array<f32, 10>;
  for (var j = 0u; j < CHUNK / GROUP; j++) {
    let k = lid + j * GROUP;
    let p = prob(state[base + k]);
    total += p;
    if (EXPECT_Z) {
      for (var b = 0u; b < LOW_BITS; b++) {
        if (((k >> b) & 1u) == 1u) { bits[b] += p; }
      }
    }
  }
  let lanes = select(1u, LANES, EXPECT_Z);
  red[lid] = total;
  if (EXPECT_Z) {
    for (var b = 0u; b < LOW_BITS; b++) { red[(b + 1u) * GROUP + lid] = bits[b]; }
  }
  workgroupBarrier();
  for (var stride = GROUP / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      for (var l = 0u; l < lanes; l++) { red[l * GROUP + lid] += red[l * GROUP + lid + stride]; }
    }
    workgroupBarrier();
  }
  if (lid < lanes) { chunks[id * lanes + lid] = red[lid * GROUP]; }
}
#else
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let id = (wg.x + wg.y * meta_.groups_x) * GROUP + lid;
  if (id >= meta_.count) { return; }
  let base = id * CHUNK;
  var total = 0.0;
  var bits: array<f32, 10>;
  for (var k = 0u; k < CHUNK; k++) {
    let p = prob(state[base + k]);
    total += p;
    if (EXPECT_Z) {
      for (var b = 0u; b < LOW_BITS; b++) {
        if (((k >> b) & 1u) == 1u) { bits[b] += p; }
      }
    }
  }
  if (EXPECT_Z) {
    chunks[id * LANES] = total;
    for (var b = 0u; b < LOW_BITS; b++) { chunks[id * LANES + 1u + b] = bits[b]; }
  } else {
    chunks[id] = total;
  }
}
#endif
