// A fused pass of the global-memory path through a workgroup-memory tile (src/sim/fuse.ts): one
// workgroup loads the 2^TILE amplitudes of one tile of one state (the index bits of
// pass_index.mask vary, the others are fixed by the workgroup index), applies the pass's ops
// there with one barrier per op, and writes the tile back. The pass's ops are the tile-op records
// tile_ops[pass_index.first .. + pass_index.count): (op index, target stride in the tile or 0 for
// a diagonal gate whose target is outside, control mask in the tile or a swap's second stride,
// gradient column or NO_INDEX). Controls outside the tile are bits of the workgroup's fixed part.
//
// else:      states <- U_pass states (the forward pass of the circuit runner and of the adjoint).
// BACKWARD:  the backward sweep over the pass (ops in reverse) on psi and lambda tiles: psi <-
//            U^dagger psi, and for an op with a gradient column j the tile's term
//            Re <lambda| dU |psi> into partials[(j * rows + s) * blocks + tile * B + b], then
//            lambda <- U^dagger lambda. WG_REDUCE: summed over the workgroup (B = 1); else one
//            partial per invocation (B = GROUP_SIZE, no reduction barriers: SwiftShader).
//            shaders/global_tile_sum.wgsl adds the partials into the gradient slots.
// REAL:      states and matrices are real.

#struct Meta
#struct PassIndex

override QUBITS: u32;
override TILE: u32;
override GROUP_SIZE: u32 = 64u;
override SEG: u32 = GROUP_SIZE;
override SLOTS: u32 = 1u << TILE;

#include "lib/gates.wgsl"

@group(0) @binding(3) var<storage, read_write> states: array<Amp>;
@group(0) @binding(4) var<storage, read> tile_ops: array<vec4<u32>>;
@group(0) @binding(5) var<uniform> meta_: Meta;
@group(1) @binding(0) var<uniform> pass_index: PassIndex;

// The bits of v, lowest first, placed at the set bits of mask, lowest first (a bit deposit).
fn deposit(v: u32, mask: u32) -> u32 {
  var m = mask;
  var x = v;
  var out = 0u;
  while (m != 0u) {
    let b = m & (~m + 1u);
    if ((x & 1u) != 0u) { out |= b; }
    x >>= 1u;
    m ^= b;
  }
  return out;
}

// Amplitudes of a tile: SLOTS, read from the pass so that the loops over a tile stay loops
// (SwiftShader unrolls loops of a constant trip count, and compiles the kernel many times slower).
fn tile_slots() -> u32 { return 1u << countOneBits(pass_index.mask); }

// Where a workgroup's tile lies: its sample, the fixed bits of its amplitudes' in-state indices,
// and the index of amplitude 0 of the tile in the batch's state buffer.
// `inside`: false for the workgroups past the last tile of the dispatch's rows.
struct TilePlace {
  s: u32,
  tile: u32,
  fixed: u32,
  base: u32,
  inside: bool,
}

fn tile_place(wg: vec3<u32>) -> TilePlace {
  let w = wg.x + wg.y * meta_.groups_x;
  let s = w >> (QUBITS - TILE);
  let tile = w & ((1u << (QUBITS - TILE)) - 1u);
  let fixed = deposit(tile, ((1u << QUBITS) - 1u) & ~pass_index.mask);
  return TilePlace(s, tile, fixed, (s << QUBITS) | fixed, s < meta_.rows);
}

// Whether the op's controls outside the tile are all set in the tile's fixed bits (a swap has none).
fn outside_controls_hold(op: vec4<u32>, fixed: u32) -> bool {
  if (op_kind(op) == OP_SWAP) { return true; }
  let outside = op.z & ~pass_index.mask;
  return (fixed & outside) == outside;
}

// The diagonal entry of a diagonal gate whose target is outside the tile (the same for the whole tile).
fn outside_entry(m: array<Amp, 4>, op: vec4<u32>, fixed: u32) -> Amp {
  return select(m[0], m[3], (fixed & op.y) != 0u);
}

#if ${BACKWARD}
#include "lib/adjoint.wgsl"
#if ${WG_REDUCE}
#include "lib/reduce.wgsl"
#endif

@group(0) @binding(6) var<storage, read_write> lambdas: array<Amp>;
@group(0) @binding(7) var<storage, read_write> partials: array<f32>;

// One backward step of the op of record r on the psi and lambda tiles; returns this invocation's
// part of Re <lambda| dU |psi> (0 without a gradient column).
fn backward_op(r: vec4<u32>, place: TilePlace, trig_row: u32, lid: u32) -> f32 {
  let op = ops[r.x];
  let with_grad = r.w != NO_INDEX;
  var g = 0.0;
  if (op_kind(op) == OP_SWAP) {
    for (var p = lid; p < tile_slots() / 2u; p += GROUP_SIZE) {
      let i0 = pair_first(p, r.y);
      let j = swap_partner(i0, r.y, r.z);
      if (j != i0) { swap_entries(i0, j, true); }
    }
    return 0.0;
  }
  if (!outside_controls_hold(op, place.fixed)) { return 0.0; }
  let m = matrix(op, trig_row);
  let d = derivative(op, trig_row, meta_.dmat_offset);
  if (r.y == 0u) {
    let e = outside_entry(m, op, place.fixed);
    let de = outside_entry(d, op, place.fixed);
    for (var t = lid; t < tile_slots(); t += GROUP_SIZE) {
      if ((t & r.z) == r.z) {
        let x = mul_conj(e, psi[t]);
        psi[t] = x;
        if (with_grad) { g += re_inner(lam[t], mul(de, x)); }
        lam[t] = mul_conj(e, lam[t]);
      }
    }
    return g;
  }
  for (var p = lid; p < tile_slots() / 2u; p += GROUP_SIZE) {
    let i0 = pair_first(p, r.y);
    if ((i0 & r.z) == r.z) { g += backward_pair(i0, i0 + r.y, m, d, with_grad); }
  }
  return g;
}

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let place = tile_place(wg);
  if (!place.inside) { return; }
  for (var t = lid; t < tile_slots(); t += GROUP_SIZE) {
    let i = place.base | deposit(t, pass_index.mask);
    psi[t] = states[i];
    lam[t] = lambdas[i];
  }
  workgroupBarrier();
  let trig_row = (meta_.first_row + place.s) * meta_.features;
  for (var k = pass_index.count; k > 0u; k--) {
    let r = tile_ops[pass_index.first + k - 1u];
    let g = backward_op(r, place, trig_row, lid);
    if (r.w != NO_INDEX) {
      let at = (r.w * meta_.rows + place.s) * meta_.blocks;
#if ${WG_REDUCE}
      let sum = segment_sum(lid, g);
      if (lid == 0u) { partials[at + place.tile] = sum; }
#else
      partials[at + place.tile * GROUP_SIZE + lid] = g;
#endif
    }
    workgroupBarrier();
  }
  for (var t = lid; t < tile_slots(); t += GROUP_SIZE) {
    let i = place.base | deposit(t, pass_index.mask);
    states[i] = psi[t];
    lambdas[i] = lam[t];
  }
}
#else
var<workgroup> tile: array<Amp, SLOTS>;

// psi <- U psi for the op of record r on the tile.
fn forward_op(r: vec4<u32>, place: TilePlace, trig_row: u32, lid: u32) {
  let op = ops[r.x];
  if (op_kind(op) == OP_SWAP) {
    for (var p = lid; p < tile_slots() / 2u; p += GROUP_SIZE) {
      let i0 = pair_first(p, r.y);
      let j = swap_partner(i0, r.y, r.z);
      if (j != i0) {
        let a = tile[i0];
        tile[i0] = tile[j];
        tile[j] = a;
      }
    }
    return;
  }
  if (!outside_controls_hold(op, place.fixed)) { return; }
  let m = matrix(op, trig_row);
  if (r.y == 0u) {
    let e = outside_entry(m, op, place.fixed);
    for (var t = lid; t < tile_slots(); t += GROUP_SIZE) {
      if ((t & r.z) == r.z) { tile[t] = mul(e, tile[t]); }
    }
    return;
  }
  for (var p = lid; p < tile_slots() / 2u; p += GROUP_SIZE) {
    let i0 = pair_first(p, r.y);
    if ((i0 & r.z) == r.z) {
      let x = apply2(m, tile[i0], tile[i0 + r.y]);
      tile[i0] = x[0];
      tile[i0 + r.y] = x[1];
    }
  }
}

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let place = tile_place(wg);
  if (!place.inside) { return; }
  for (var t = lid; t < tile_slots(); t += GROUP_SIZE) { tile[t] = states[place.base | deposit(t, pass_index.mask)]; }
  workgroupBarrier();
  let trig_row = (meta_.first_row + place.s) * meta_.features;
  for (var k = 0u; k < pass_index.count; k++) {
    forward_op(tile_ops[pass_index.first + k], place, trig_row, lid);
    workgroupBarrier();
  }
  for (var t = lid; t < tile_slots(); t += GROUP_SIZE) { states[place.base | deposit(t, pass_index.mask)] = tile[t]; }
}
#endif
