// Per-sample rotation angles: for every input value x writes (cos(x/2), sin(x/2)).
// WGSL's built-in sin/cos only promise ~2^-11 absolute error (SwiftShader delivers about that),
// too coarse for 1e-5 probabilities after a few dozen rotations, so this kernel reduces the
// argument by pi/2 in three parts (Cody-Waite) and evaluates Taylor polynomials on [-pi/4, pi/4],
// good to a few ulp of f32.

#struct Meta

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read_write> trig: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> meta_: Meta;

const TWO_OVER_PI: f32 = 0.636619772367581343;
const PIO2_HI: f32 = 1.5703125;                 // pi/2 split into three parts whose products with
const PIO2_MID: f32 = 4.83751296997070312e-4;   // a small integer are exact in f32
const PIO2_LO: f32 = 7.54978995489188216e-8;

// Returns (cos(a), sin(a)).
fn precise_cos_sin(a: f32) -> vec2<f32> {
  let q = round(a * TWO_OVER_PI);
  var r = a - q * PIO2_HI;
  r = r - q * PIO2_MID;
  r = r - q * PIO2_LO;
  let r2 = r * r;
  let s = r + r * r2 * (-1.66666666666666667e-1 + r2 * (8.33333333333333333e-3 + r2 * (-1.98412698412698413e-4 + r2 * 2.75573192239858907e-6)));
  let c = 1.0 + r2 * (-0.5 + r2 * (4.16666666666666667e-2 + r2 * (-1.38888888888888889e-3 + r2 * (2.48015873015873016e-5 - r2 * 2.75573192239858907e-7))));
  let k = i32(q) & 3;
  if (k == 0) { return vec2<f32>(c, s); }
  if (k == 1) { return vec2<f32>(-s, c); }
  if (k == 2) { return vec2<f32>(-c, -s); }
  return vec2<f32>(s, -c);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  if (i >= meta_.count) { return; }
  trig[i] = precise_cos_sin(0.5 * values[i]);
}
