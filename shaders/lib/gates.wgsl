// The gates of the circuit kernels: the op table, the matrix table and the per-sample trig table
// (bindings 0, 1 and 2 of every circuit kernel), what an op encodes, and 2x2 matrices applied to
// amplitude pairs. Op words and codes: src/gpu/op-codes.ts (gen/ops.wgsl).
//   x: kind | axis or site << OP_KIND_BITS   y: target stride   z: control mask or second stride
//   w: matrix index, feature column, or a channel's rate word
// mats holds the matrices the host computed in float64: REAL one vec4 (m00, m01, m10, m11) per
// matrix, else two: (m00, m01), (m10, m11) as complex pairs. trig[row * F + i] holds
// (cos, sin) of half of feature i of the row (shaders/angles.wgsl).
#include "gen/ops.wgsl"
#include "lib/amp.wgsl"
#include "lib/bits.wgsl"

@group(0) @binding(0) var<storage, read> ops: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> mats: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> trig: array<vec2<f32>>;

fn op_kind(op: vec4<u32>) -> u32 { return op.x & OP_KIND_MASK; }
// The rotation axis (feature rotations) or the site index (channels).
fn op_detail(op: vec4<u32>) -> u32 { return op.x >> OP_KIND_BITS; }

#if ${REAL}
// Real circuits rotate features about y only.
fn rot(axis: u32, c: f32, s: f32) -> array<Amp, 4> { return array<Amp, 4>(c, -s, s, c); }
fn table(i: u32) -> array<Amp, 4> {
  let m = mats[i];
  return array<Amp, 4>(m.x, m.y, m.z, m.w);
}
#else
// R(theta) about x, y or z from (c, s) = (cos, sin) of theta / 2.
fn rot(axis: u32, c: f32, s: f32) -> array<Amp, 4> {
  if (axis == AXIS_X) { return array<Amp, 4>(vec2(c, 0.0), vec2(0.0, -s), vec2(0.0, -s), vec2(c, 0.0)); }
  if (axis == AXIS_Y) { return array<Amp, 4>(vec2(c, 0.0), vec2(-s, 0.0), vec2(s, 0.0), vec2(c, 0.0)); }
  return array<Amp, 4>(vec2(c, -s), vec2(0.0, 0.0), vec2(0.0, 0.0), vec2(c, s));
}
fn table(i: u32) -> array<Amp, 4> {
  let r0 = mats[2u * i];
  let r1 = mats[2u * i + 1u];
  return array<Amp, 4>(r0.xy, r0.zw, r1.xy, r1.zw);
}
#endif

// The gate matrix U of a gate op for the sample whose trig row starts at trig_row.
fn matrix(op: vec4<u32>, trig_row: u32) -> array<Amp, 4> {
  if (op_kind(op) == OP_FEATURE_ROTATION) {
    let cs = trig[trig_row + op.w];
    return rot(op_detail(op) & 3u, cs.x, cs.y);
  }
  return table(op.w);
}

// dU/dtheta: a feature rotation R(theta) has entries linear in (cos, sin) of theta/2, and
// dR/dtheta = R(theta + pi) / 2, i.e. (c, s) -> (-s / 2, c / 2); other ops read the derivative
// table that starts at matrix index dmat_offset.
fn derivative(op: vec4<u32>, trig_row: u32, dmat_offset: u32) -> array<Amp, 4> {
  if (op_kind(op) == OP_FEATURE_ROTATION) {
    let cs = trig[trig_row + op.w];
    return rot(op_detail(op) & 3u, -0.5 * cs.y, 0.5 * cs.x);
  }
  return table(dmat_offset + op.w);
}

// The 2x2 matrix m applied to the amplitude pair (a, b).
fn apply2(m: array<Amp, 4>, a: Amp, b: Amp) -> array<Amp, 2> {
  return array<Amp, 2>(mul(m[0], a) + mul(m[1], b), mul(m[2], a) + mul(m[3], b));
}

// m^dagger applied to (a, b).
fn apply2_adjoint(m: array<Amp, 4>, a: Amp, b: Amp) -> array<Amp, 2> {
  return array<Amp, 2>(mul_conj(m[0], a) + mul_conj(m[2], b), mul_conj(m[1], a) + mul_conj(m[3], b));
}

// Re <l| d |x> over one pair: l = (la, lb), x = (a, b).
fn pair_derivative(d: array<Amp, 4>, la: Amp, lb: Amp, a: Amp, b: Amp) -> f32 {
  let x = apply2(d, a, b);
  return re_inner(la, x[0]) + re_inner(lb, x[1]);
}

