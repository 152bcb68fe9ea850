// Exact noisy simulation: the density matrix rho (2^n x 2^n complex, row-major) of every sample,
// with depolarizing channels between the gates; writes the diagonal (basis-state probabilities)
// after readout error.
//
// The ops, unit by unit (gates as M_r A M_c^+ on quads, swaps, channels): shaders/lib/density-op.wgsl.
//
// FUSED: one workgroup holds SAMPLES_PER_GROUP whole density matrices in workgroup memory.
// else:  one workgroup per sample, its density matrix in global memory (rho buffer), with
//        storage barriers; for matrices that do not fit in workgroup memory.
//
// Ops, matrices and the trig table: shaders/lib/gates.wgsl, always complex (the host sets REAL
// false); a channel op (OP_CHANNEL1 on bit y, OP_CHANNEL2 on bits y and z) carries its rate as
// f32 bits in w.

#include "lib/density-op.wgsl"
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
    let units = density_units(op_kind(op));
    for (var u = lid; u < SAMPLES_PER_GROUP * units; u += GROUP_SIZE) {
      let s = u / units;
      density_unit(op, u - s * units, base0 + s * D2, min(first + s, meta_.rows - 1u) * meta_.features);
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
