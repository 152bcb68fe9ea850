// The Paulis drawn at one depolarizing channel applied to a batch of trajectory states in global
// memory (noise trajectories beyond workgroup memory: src/noise/pauli-global.ts). Row r of the
// batch (first_row + s for sample s of the dispatch) is trajectory r % T of data-set sample
// first_sample + r / T; its Pauli comes from the same counter-based hash of (seed, step, sample,
// trajectory, site) as src/noise/trajectories-cpu.ts drawPauli and shaders/trajectories.wgsl.
// One invocation per amplitude pair; the channel is channels[op_index.index] (its op record:
// kind and site, strides, 24-bit rate threshold).
// BACKWARD: the same Pauli on lambda too (the adjoint's backward sweep un-applies it: a Pauli is
//           self-inverse up to a global phase, which psi and lambda share).
// REAL:     real amplitudes (Y is applied as XZ, a global phase off).

#struct Meta
#struct OpIndex

override QUBITS: u32;

#include "lib/pauli.wgsl"

@group(0) @binding(0) var<storage, read> channels: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> psi: array<Amp>;
@group(0) @binding(2) var<uniform> meta_: Meta;
@group(1) @binding(0) var<uniform> op_index: OpIndex;
#if ${BACKWARD}
@group(0) @binding(3) var<storage, read_write> lam: array<Amp>;
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  let half_dim = 1u << (QUBITS - 1u);
  if (p >= meta_.rows * half_dim) { return; }
  let s = p >> (QUBITS - 1u);
  let row = meta_.first_row + s;
  let T = meta_.trajectories;
  let prefix = pcg_hash(sample_prefix(meta_.seed, meta_.step, meta_.first_sample + row / T) + row % T);
  let masks = draw(channels[op_index.index], prefix);
  if (masks.x == 0u && masks.y == 0u) { return; }
  let pp = pauli_pair(p & (half_dim - 1u), masks);
  let a = (s << QUBITS) + pp.k0;
  let b = (s << QUBITS) + pp.k1;
  let r = pauli_apply(pp, psi[a], psi[b]);
  psi[a] = r[0];
  psi[b] = r[1];
#if ${BACKWARD}
  let l = pauli_apply(pp, lam[a], lam[b]);
  lam[a] = l[0];
  lam[b] = l[1];
#endif
}
