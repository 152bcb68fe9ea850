// Exact noisy simulation: the density matrix rho (2^n x 2^n complex, row-major) of every sample,
// with depolarizing channels between the gates; writes the diagonal (basis-state probabilities)
// after readout error.
//
// rho is treated as a 2n-qubit vector |rho>> with index r * DIM + c (row bits high): a gate U on
// qubit bit t is U on the row bit (stride t * DIM) and conj(U) on the column bit (stride t). One
// invocation handles a quad rho[r0|a, c0|b] (a, b in {0, t}) and applies M_r A M_c^+ at once, where
// M_r = U when the row's control bits are set (else I), M_c likewise for the column.
//
// FUSED: one workgroup holds SAMPLES_PER_GROUP whole density matrices in workgroup memory.
// else:  one workgroup per sample, its density matrix in global memory (rho buffer), with
//        storage barriers; for matrices that do not fit in workgroup memory.
//
// An op is a vec4<u32>:
//   x: kind | axis << 4 (gates) or kind | site << 4 (channels)
//      kind 0: matrix mats[w]; 1: rotation about `axis` by the per-sample angle of feature w
//      (trig[row * F + w] holds (cos, sin) of the half angle); 2: swap of the bits y and z;
//      3: one-qubit depolarizing channel on bit y, rate bitcast<f32>(w);
//      4: two-qubit depolarizing channel on bits y and z, rate bitcast<f32>(w)
//   y: stride of the target bit
//   z: mask of the control bits (0: none); swap and kind 4: the second stride
//   w: matrix index, feature column, or the channel's rate

struct Meta {
  rows: u32,          // samples in this dispatch
  features: u32,      // row width F of the trig table
  num_ops: u32,       // ops to run
  groups_x: u32,      // workgroups along x of the 2D dispatch
  readout_bits: u32,  // readout bit-flip probability (f32 bits)
}

@group(0) @binding(0) var<storage, read> ops: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> mats: array<vec4<f32>>;   // 2 per matrix: (m00, m01), (m10, m11)
@group(0) @binding(2) var<storage, read> trig: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;    // rows x DIM probabilities
@group(0) @binding(4) var<uniform> meta_: Meta;

override QUBITS: u32;
override GROUP_SIZE: u32 = 64u;
override SAMPLES_PER_GROUP: u32 = 1u;
override DIM: u32 = 1u << QUBITS;
override D2: u32 = DIM * DIM;

#if ${FUSED}
override SLOTS: u32 = SAMPLES_PER_GROUP * D2;
var<workgroup> rho: array<vec2<f32>, SLOTS>;
#else
@group(0) @binding(5) var<storage, read_write> rho: array<vec2<f32>>;
#endif

fn sync() {
#if ${FUSED}
  workgroupBarrier();
#else
  storageBarrier();
#endif
}

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
fn conj(a: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x, -a.y); }

fn matrix(op: vec4<u32>, trig_row: u32) -> array<vec2<f32>, 4> {
  if ((op.x & 15u) == 1u) {
    let cs = trig[trig_row + op.w];
    let c = cs.x;
    let s = cs.y;
    let axis = (op.x >> 4u) & 3u;
    if (axis == 0u) { return array<vec2<f32>, 4>(vec2(c, 0.0), vec2(0.0, -s), vec2(0.0, -s), vec2(c, 0.0)); }
    if (axis == 1u) { return array<vec2<f32>, 4>(vec2(c, 0.0), vec2(-s, 0.0), vec2(s, 0.0), vec2(c, 0.0)); }
    return array<vec2<f32>, 4>(vec2(c, -s), vec2(0.0, 0.0), vec2(0.0, 0.0), vec2(c, s));
  }
  let r0 = mats[2u * op.w];
  let r1 = mats[2u * op.w + 1u];
  return array<vec2<f32>, 4>(r0.xy, r0.zw, r1.xy, r1.zw);
}

// j with a zero bit inserted at `stride`.
fn pair_first(j: u32, stride: u32) -> u32 {
  let low = j & (stride - 1u);
  return ((j - low) << 1u) | low;
}

// v with the bits y and z exchanged.
fn swap_bits(v: u32, y: u32, z: u32) -> u32 {
  if (((v & y) != 0u) != ((v & z) != 0u)) { return v ^ y ^ z; }
  return v;
}

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = (wg.x + wg.y * meta_.groups_x) * SAMPLES_PER_GROUP;
  if (first >= meta_.rows) { return; }   // workgroup-uniform: spare groups of the 2D grid
#if ${FUSED}
  let base0 = 0u;
#else
  let base0 = first * D2;
#endif
  let slots = SAMPLES_PER_GROUP * D2;
  for (var i = lid; i < slots; i += GROUP_SIZE) {
    rho[base0 + i] = select(vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), (i % D2) == 0u);
  }
  sync();
  for (var g = 0u; g < meta_.num_ops; g++) {
    let op = ops[g];
    let kind = op.x & 15u;
    var units = D2 >> 2u;                      // quads
    if (kind == 2u) { units = D2; }            // single entries
    if (kind == 4u) { units = D2 >> 4u; }      // 4x4 blocks
    for (var u = lid; u < SAMPLES_PER_GROUP * units; u += GROUP_SIZE) {
      let s = u / units;
      let q = u - s * units;
      let base = base0 + s * D2;
      if (kind == 2u) {
        let r = q / DIM;
        let c = q - r * DIM;
        let j = swap_bits(r, op.y, op.z) * DIM + swap_bits(c, op.y, op.z);
        if (j > q) {
          let t = rho[base + q];
          rho[base + q] = rho[base + j];
          rho[base + j] = t;
        }
        continue;
      }
      if (kind == 4u) {
        let lo = min(op.y, op.z);
        let hi = max(op.y, op.z);
        let i0 = pair_first(pair_first(pair_first(pair_first(q, lo), hi), lo * DIM), hi * DIM);
        let p = bitcast<f32>(op.w);
        let keep = 1.0 - 16.0 * p / 15.0;
        let add = 4.0 * p / 15.0;
        let offs = array<u32, 4>(0u, op.z, op.y, op.y | op.z);
        var trace = vec2<f32>(0.0, 0.0);
        for (var k = 0u; k < 4u; k++) { trace += rho[base + i0 + offs[k] * DIM + offs[k]]; }
        for (var a = 0u; a < 4u; a++) {
          for (var b = 0u; b < 4u; b++) {
            let idx = base + i0 + offs[a] * DIM + offs[b];
            rho[idx] = keep * rho[idx] + select(vec2<f32>(0.0, 0.0), add * trace, a == b);
          }
        }
        continue;
      }
      let t = op.y;
      let tr = t * DIM;
      let i00 = pair_first(pair_first(q, t), tr);
      let x00 = rho[base + i00];
      let x01 = rho[base + i00 + t];
      let x10 = rho[base + i00 + tr];
      let x11 = rho[base + i00 + tr + t];
      if (kind == 3u) {
        let p = bitcast<f32>(op.w);
        let keep = 1.0 - 2.0 * p / 3.0;
        let shift = 2.0 * p / 3.0;
        let off = 1.0 - 4.0 * p / 3.0;
        rho[base + i00] = keep * x00 + shift * x11;
        rho[base + i00 + tr + t] = keep * x11 + shift * x00;
        rho[base + i00 + t] = off * x01;
        rho[base + i00 + tr] = off * x10;
        continue;
      }
      let r = i00 / DIM;
      let c = i00 - r * DIM;
      let row_on = (r & op.z) == op.z;
      let col_on = (c & op.z) == op.z;
      if (!row_on && !col_on) { continue; }
      let m = matrix(op, min(first + s, meta_.rows - 1u) * meta_.features);
      // B = M_r A
      var b00 = x00; var b01 = x01; var b10 = x10; var b11 = x11;
      if (row_on) {
        b00 = cmul(m[0], x00) + cmul(m[1], x10);
        b01 = cmul(m[0], x01) + cmul(m[1], x11);
        b10 = cmul(m[2], x00) + cmul(m[3], x10);
        b11 = cmul(m[2], x01) + cmul(m[3], x11);
      }
      // C = B M_c^+: C[a][b] = sum_k B[a][k] conj(M_c[b][k])
      if (col_on) {
        let c00 = cmul(b00, conj(m[0])) + cmul(b01, conj(m[1]));
        let c01 = cmul(b00, conj(m[2])) + cmul(b01, conj(m[3]));
        let c10 = cmul(b10, conj(m[0])) + cmul(b11, conj(m[1]));
        let c11 = cmul(b10, conj(m[2])) + cmul(b11, conj(m[3]));
        b00 = c00; b01 = c01; b10 = c10; b11 = c11;
      }
      rho[base + i00] = b00;
      rho[base + i00 + t] = b01;
      rho[base + i00 + tr] = b10;
      rho[base + i00 + tr + t] = b11;
    }
    sync();
  }
  // The diagonal, then readout error in place in `out` (this workgroup's rows only).
  for (var i = lid; i < SAMPLES_PER_GROUP * DIM; i += GROUP_SIZE) {
    let s = i / DIM;
    let k = i - s * DIM;
    if (first + s < meta_.rows) { out[(first + s) * DIM + k] = rho[base0 + s * D2 + k * DIM + k].x; }
  }
  let r = bitcast<f32>(meta_.readout_bits);
  if (r > 0.0) {
    let half_dim = DIM >> 1u;
    for (var qb = 0u; qb < QUBITS; qb++) {
      storageBarrier();
      let bit = 1u << qb;
      for (var i = lid; i < SAMPLES_PER_GROUP * half_dim; i += GROUP_SIZE) {
        let s = i / half_dim;
        if (first + s >= meta_.rows) { continue; }
        let k0 = (first + s) * DIM + pair_first(i - s * half_dim, bit);
        let a = out[k0];
        let b = out[k0 + bit];
        out[k0] = (1.0 - r) * a + r * b;
        out[k0 + bit] = r * a + (1.0 - r) * b;
      }
    }
  }
}
