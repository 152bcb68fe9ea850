// Which amplitudes one op changes, for the per-op kernels over a batch of QUBITS-qubit states in
// global memory (one invocation per amplitude pair p; the including shader declares QUBITS).

const PAIR_NONE: u32 = 0u;  // a control bit of this pair is clear: nothing to do
const PAIR_SWAP: u32 = 1u;  // a swap gate: exchange amplitudes a and b (a == b: a no-op)
const PAIR_GATE: u32 = 2u;  // the op's 2x2 matrix on (a, b)

// (a, b, what) for pair p (states one after the other, pair index within a state in the low
// QUBITS - 1 bits): a has the target bit op.y clear, b = a + op.y; controls are the bits of op.z.
fn op_pair(p: u32, op: vec4<u32>) -> vec3<u32> {
  let half_dim = 1u << (QUBITS - 1u);
  let base = (p >> (QUBITS - 1u)) << QUBITS;
  let i0 = pair_first(p & (half_dim - 1u), op.y);
  if (op_kind(op) == OP_SWAP) { return vec3<u32>(base + i0, base + swap_partner(i0, op.y, op.z), PAIR_SWAP); }
  if ((i0 & op.z) != op.z) { return vec3<u32>(0u, 0u, PAIR_NONE); }
  return vec3<u32>(base + i0, base + i0 + op.y, PAIR_GATE);
}
