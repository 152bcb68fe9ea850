// One op of a noisy circuit on a density matrix, unit by unit: shared by shaders/density.wgsl
// (one workgroup per sample) and shaders/global_density.wgsl (one dispatch per op over many
// workgroups). The including kernel declares `rho` (array<vec2<f32>>, workgroup or storage) and the
// overrides DIM = 2^n and D2 = DIM * DIM.
//
// rho is treated as a 2n-qubit vector |rho>> with index r * DIM + c (row bits high): a gate U on
// qubit bit t is U on the row bit (stride t * DIM) and conj(U) on the column bit (stride t). A unit
// of a gate is a quad rho[r0|a, c0|b] (a, b in {0, t}) and gets M_r A M_c^+ at once, where
// M_r = U when the row's control bits are set (else I), M_c likewise for the column. A swap's unit
// is one entry; a one-qubit channel's a quad of its qubit; a two-qubit channel's a 4x4 block.
// Channels (OP_CHANNEL1 on bit y, OP_CHANNEL2 on bits y and z) carry their rate as f32 bits in w.

#include "lib/gates.wgsl"

// Units of an op of kind `kind` per density matrix.
fn density_units(kind: u32) -> u32 {
  if (kind == OP_SWAP) { return D2; }
  if (kind == OP_CHANNEL2) { return D2 >> 4u; }
  return D2 >> 2u;
}

// Applies unit q of `op` to the density matrix at rho[base ..]; its matrix reads trig row `trig_row`.
fn density_unit(op: vec4<u32>, q: u32, base: u32, trig_row: u32) {
  let kind = op_kind(op);
  if (kind == OP_SWAP) {
    let r = q / DIM;
    let c = q - r * DIM;
    let j = swap_bits(r, op.y, op.z) * DIM + swap_bits(c, op.y, op.z);
    if (j > q) {
      let t = rho[base + q];
      rho[base + q] = rho[base + j];
      rho[base + j] = t;
    }
    return;
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
    return;
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
    return;
  }
  let r = i00 / DIM;
  let c = i00 - r * DIM;
  let row_on = (r & op.z) == op.z;
  let col_on = (c & op.z) == op.z;
  if (!row_on && !col_on) { return; }
  let m = matrix(op, trig_row);
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
