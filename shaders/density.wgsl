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
// Ops, matrices and the trig table: shaders/lib/gates.wgsl, always complex (the host sets REAL
// false); a channel op (OP_CHANNEL1 on bit y, OP_CHANNEL2 on bits y and z) carries its rate as
// f32 bits in w.

#include "lib/gates.wgsl"
#include "lib/readout.wgsl"

#struct Meta

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
    rho[base0 + i] = basis_zero(i % D2);
  }
  sync();
  for (var g = 0u; g < meta_.num_ops; g++) {
    let op = ops[g];
    let kind = op_kind(op);
    var units = D2 >> 2u;                      // quads
    if (kind == OP_SWAP) { units = D2; }       // single entries
    if (kind == OP_CHANNEL2) { units = D2 >> 4u; }   // 4x4 blocks
    for (var u = lid; u < SAMPLES_PER_GROUP * units; u += GROUP_SIZE) {
      let s = u / units;
      let q = u - s * units;
      let base = base0 + s * D2;
      if (kind == OP_SWAP) {
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
      if (kind == OP_CHANNEL2) {
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
      if (kind == OP_CHANNEL1) {
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
        let c00 = cmul(b00, cconj(m[0])) + cmul(b01, cconj(m[1]));
        let c01 = cmul(b00, cconj(m[2])) + cmul(b01, cconj(m[3]));
        let c10 = cmul(b10, cconj(m[0])) + cmul(b11, cconj(m[1]));
        let c11 = cmul(b10, cconj(m[2])) + cmul(b11, cconj(m[3]));
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
  let r = meta_.readout;
  if (r > 0.0) {
    let half_dim = DIM >> 1u;
    for (var qb = 0u; qb < QUBITS; qb++) {
      storageBarrier();
      let bit = 1u << qb;
      for (var i = lid; i < SAMPLES_PER_GROUP * half_dim; i += GROUP_SIZE) {
        let s = i / half_dim;
        if (first + s >= meta_.rows) { continue; }
        let k0 = (first + s) * DIM + pair_first(i - s * half_dim, bit);
        let v = readout_pair(r, out[k0], out[k0 + bit]);
        out[k0] = v.x;
        out[k0 + bit] = v.y;
      }
    }
  }
}
