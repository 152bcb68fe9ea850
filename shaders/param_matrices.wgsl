// Gate matrices of trainable rotations, built on the GPU from the parameters there (training keeps
// the parameters on the GPU). Entry i = (matrix index in the table, axis 0 x / 1 y / 2 z,
// parameter index, 1 for the derivative dU/dtheta = U(theta + pi) / 2). ptrig holds
// (cos, sin) of every half parameter, from shaders/angles.wgsl (precise; WGSL's sin/cos are not).

#struct Meta

#include "gen/ops.wgsl"

@group(0) @binding(0) var<storage, read> ptrig: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> entries: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> mats: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> meta_: Meta;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= meta_.count) { return; }
  let e = entries[i];
  var cs = ptrig[e.z];
  var k = 1.0;
  if (e.w == 1u) {
    cs = vec2<f32>(-cs.y, cs.x);   // half angle + pi/2
    k = 0.5;
  }
  let c = k * cs.x;
  let s = k * cs.y;
#if ${REAL}
  mats[e.x] = vec4<f32>(c, -s, s, c);   // real circuits rotate about y only
#else
  if (e.y == AXIS_X) {
    mats[2u * e.x] = vec4<f32>(c, 0.0, 0.0, -s);
    mats[2u * e.x + 1u] = vec4<f32>(0.0, -s, c, 0.0);
  } else if (e.y == AXIS_Y) {
    mats[2u * e.x] = vec4<f32>(c, 0.0, -s, 0.0);
    mats[2u * e.x + 1u] = vec4<f32>(s, 0.0, c, 0.0);
  } else {
    mats[2u * e.x] = vec4<f32>(c, -s, 0.0, 0.0);
    mats[2u * e.x + 1u] = vec4<f32>(0.0, 0.0, c, s);
  }
#endif
}
