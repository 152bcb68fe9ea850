// A sample's state held in the registers of LANES invocations of one subgroup (the kernel's
// `enable subgroups;` and its LANES and REGS overrides): lane l of the sample holds the REGS
// amplitudes with basis indices l * REGS .. l * REGS + REGS - 1 in an array of registers. A gate
// whose target stride is below REGS pairs registers of one lane; a larger stride pairs the same
// register of lanes l and l ^ (stride / REGS), exchanged with subgroupShuffleXor. The LANES lanes
// of a sample are adjacent and aligned in the subgroup (LANES <= the subgroup size), so every
// shuffle stays inside the sample; every lane runs every op (no early exit), so the shuffles
// run in uniform control flow. Needs lib/gates.wgsl.

alias Regs = array<Amp, SUBGROUP_MAX_REGS>;
// The switches of gate_regs and derivative_regs name every stride below 32.
const_assert SUBGROUP_MAX_REGS <= 32u;

// The matrix m^dagger.
fn dagger(m: array<Amp, 4>) -> array<Amp, 4> {
  return array<Amp, 4>(mul_conj(m[0], one()), mul_conj(m[2], one()), mul_conj(m[1], one()), mul_conj(m[3], one()));
}

// The partner of every register across the lane bit `mask` (0: none; uniform in the subgroup).
fn lane_partner(v: Amp, mask: u32) -> Amp {
  if (mask == 0u) { return v; }
  return subgroupShuffleXor(v, mask);
}

// The sum of x over the LANES lanes of a sample (a butterfly of shuffles: every lane gets it).
fn lane_sum(x: f32) -> f32 {
  var s = x;
  for (var m = 1u; m < LANES; m <<= 1u) { s += subgroupShuffleXor(s, m); }
  return s;
}

// a <- U a on the register pairs (r, r + t) of one lane, t < REGS. Called with a constant t (see
// gate_regs), so that once the loop is unrolled every index is a constant and the array can stay
// in registers: a dynamically indexed array ends up in local memory.
fn local_gate(a: ptr<function, Regs>, t: u32, c: u32, m: array<Amp, 4>, hi: u32) {
  for (var r = 0u; r < REGS; r++) {
    if ((r & t) == 0u && ((hi + r) & c) == c) {
      let x = apply2(m, (*a)[r], (*a)[r + t]);
      (*a)[r] = x[0];
      (*a)[r + t] = x[1];
    }
  }
}

// a <- U a for a gate on target stride t with control mask c (a one-qubit matrix m, controlled).
// `diag`: m is diagonal (uniform), so no amplitude needs its partner.
fn gate_regs(a: ptr<function, Regs>, t: u32, c: u32, m: array<Amp, 4>, diag: bool, hi: u32) {
  if (diag) {
    for (var r = 0u; r < REGS; r++) {
      let k = hi + r;
      if ((k & c) == c) { (*a)[r] = mul(select(m[0], m[3], (k & t) != 0u), (*a)[r]); }
    }
  } else if (t < REGS) {
    // One constant stride per case (SUBGROUP_MAX_REGS = 32: strides 1 to 16).
    switch t {
      case 1u: { local_gate(a, 1u, c, m, hi); }
      case 2u: { local_gate(a, 2u, c, m, hi); }
      case 4u: { local_gate(a, 4u, c, m, hi); }
      case 8u: { local_gate(a, 8u, c, m, hi); }
      default: { local_gate(a, 16u, c, m, hi); }
    }
  } else {
    let mask = t / REGS;
    let upper = (hi & t) != 0u;
    for (var r = 0u; r < REGS; r++) {
      let mine = (*a)[r];
      let other = subgroupShuffleXor(mine, mask);
      if (((hi + r) & c) == c) {
        (*a)[r] = select(mul(m[0], mine) + mul(m[1], other), mul(m[2], other) + mul(m[3], mine), upper);
      }
    }
  }
}

// a <- the swap of the bits y and z (a permutation: its own inverse).
fn swap_regs(a: ptr<function, Regs>, y: u32, z: u32, hi: u32) {
  let both = y | z;
  let reg_mask = both & (REGS - 1u);
  let lane_mask = both / REGS;
  var b: Regs;
  for (var r = 0u; r < REGS; r++) { b[r] = lane_partner((*a)[r ^ reg_mask], lane_mask); }
  for (var r = 0u; r < REGS; r++) {
    let k = hi + r;
    if (((k & y) != 0u) != ((k & z) != 0u)) { (*a)[r] = b[r]; }
  }
}

// This lane's part of Re <l| D |x> over its register pairs (r, r + t), t < REGS constant (as local_gate).
fn local_derivative(l: ptr<function, Regs>, x: ptr<function, Regs>, t: u32, c: u32, d: array<Amp, 4>, hi: u32) -> f32 {
  var g = 0.0;
  for (var r = 0u; r < REGS; r++) {
    if ((r & t) == 0u && ((hi + r) & c) == c) { g += pair_derivative(d, (*l)[r], (*l)[r + t], (*x)[r], (*x)[r + t]); }
  }
  return g;
}

// This lane's part of Re <l| D |x> for the derivative D of a gate on target stride t with control
// mask c (zero where the controls are not all 1); lane_sum gives the sample's value.
fn derivative_regs(l: ptr<function, Regs>, x: ptr<function, Regs>, t: u32, c: u32, d: array<Amp, 4>, hi: u32) -> f32 {
  if (t < REGS) {
    switch t {
      case 1u: { return local_derivative(l, x, 1u, c, d, hi); }
      case 2u: { return local_derivative(l, x, 2u, c, d, hi); }
      case 4u: { return local_derivative(l, x, 4u, c, d, hi); }
      case 8u: { return local_derivative(l, x, 8u, c, d, hi); }
      default: { return local_derivative(l, x, 16u, c, d, hi); }
    }
  }
  var g = 0.0;
  let mask = t / REGS;
  let upper = (hi & t) != 0u;
  for (var r = 0u; r < REGS; r++) {
    let mine = (*x)[r];
    let other = subgroupShuffleXor(mine, mask);
    if (((hi + r) & c) == c) {
      let dx = select(mul(d[0], mine) + mul(d[1], other), mul(d[2], other) + mul(d[3], mine), upper);
      g += re_inner((*l)[r], dx);
    }
  }
  return g;
}

// Whether the matrix of an op is diagonal for every sample (uniform: feature rotations about z,
// or a table matrix with zero off-diagonal entries).
fn op_diagonal(op: vec4<u32>) -> bool {
  if (op_kind(op) == OP_FEATURE_ROTATION) { return (op_detail(op) & 3u) == AXIS_Z; }
  let m = table(op.w);
  return all(m[1] == zero()) && all(m[2] == zero());
}
