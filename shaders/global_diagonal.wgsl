// A run of diagonal gates without gradient slots (CZ, Z, S, T, fixed RZ, ...) applied to a batch
// of states in global memory in one pass (gate fusion of the global-memory adjoint,
// src/sim/adjoint-global.ts): each amplitude is scaled by the product of the run's diagonal
// entries. Diagonal matrices commute, so their order inside the run does not matter.
// else:      psi <- D psi (the forward pass).
// BACKWARD:  psi <- D^dagger psi and lambda <- D^dagger lambda (D is unitary: D^dagger = conj D).
// The run is ops[op_index.index .. op_index.index + op_index.count). One invocation per amplitude.

#struct Meta
#struct OpIndex

override QUBITS: u32;

#include "lib/gates.wgsl"

@group(0) @binding(3) var<storage, read_write> psi: array<Amp>;
@group(0) @binding(5) var<uniform> meta_: Meta;
@group(1) @binding(0) var<uniform> op_index: OpIndex;

#if ${BACKWARD}
@group(0) @binding(4) var<storage, read_write> lam: array<Amp>;
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  if (i >= (meta_.rows << QUBITS)) { return; }
  let s = i >> QUBITS;
  let idx = i & ((1u << QUBITS) - 1u);
  let trig_row = (meta_.first_row + s) * meta_.features;
  var d = one();
  for (var g = op_index.index; g < op_index.index + op_index.count; g++) {
    let op = ops[g];
    if ((idx & op.z) == op.z) {
      let m = matrix(op, trig_row);
      d = mul(select(m[0], m[3], (idx & op.y) != 0u), d);
    }
  }
#if ${BACKWARD}
  psi[i] = mul_conj(d, psi[i]);
  lam[i] = mul_conj(d, lam[i]);
#else
  psi[i] = mul(d, psi[i]);
#endif
}
