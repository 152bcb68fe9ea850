// The counter-based Pauli RNG of the trajectory kernels: the same integer code as
// src/noise/rng.ts and src/noise/trajectories-cpu.ts (drawPauli), so the CPU and every GPU kernel
// draw the same Paulis for the same (seed, step, sample, trajectory, site), in any batch split.
// A channel op (kind OP_CHANNEL1 or OP_CHANNEL2) carries its site above the kind and its 24-bit
// rate threshold in w.
#include "gen/ops.wgsl"
#include "lib/amp.wgsl"
#include "lib/bits.wgsl"

// PCG hash (src/noise/rng.ts pcgHash).
fn pcg_hash(v: u32) -> u32 {
  let st = v * 747796405u + 2891336453u;
  let word = ((st >> ((st >> 28u) + 4u)) ^ st) * 277803737u;
  return (word >> 22u) ^ word;
}

// The hash prefix of sample `sample` (its index in the whole data set); a trajectory t of it
// draws from pcg_hash(sample_prefix(...) + t).
fn sample_prefix(seed: u32, step: u32, sample: u32) -> u32 {
  return pcg_hash(pcg_hash(pcg_hash(seed) + step) + sample);
}

// x and z masks of Pauli code c (0 I, 1 X, 2 Y, 3 Z) on the bit `bit`.
fn pauli_masks(c: u32, bit: u32) -> vec2<u32> {
  return vec2<u32>(select(0u, bit, c == 1u || c == 2u), select(0u, bit, c == 2u || c == 3u));
}

// (xmask, zmask) of the Pauli drawn at channel op `op` for the trajectory with hash prefix
// `prefix` (drawPauli in src/noise/trajectories-cpu.ts); (0, 0): none.
fn draw(op: vec4<u32>, prefix: u32) -> vec2<u32> {
  let site = pcg_hash(prefix + (op.x >> OP_KIND_BITS));
  let h = pcg_hash(site + 0u);
  if ((h >> 8u) >= op.w) { return vec2<u32>(0u, 0u); }
  let c = pcg_hash(site + 1u);
  if ((op.x & OP_KIND_MASK) == OP_CHANNEL1) { return pauli_masks(1u + c % 3u, op.y); }
  let k = 1u + c % 15u;
  return pauli_masks(k >> 2u, op.y) | pauli_masks(k & 3u, op.z);
}

// The j-th pair of basis indices a drawn Pauli P (masks = (xmask, zmask), not both 0) maps
// onto each other, with their signs: P|k> = parity_sign(k, zmask) |k ^ xmask> up to a global
// phase. Without an X part the pair is (k0, k0 | top bit of zmask) and each entry keeps its place.
struct PauliPair {
  k0: u32,
  k1: u32,
  s0: f32,
  s1: f32,
  flips: bool,
}

fn pauli_pair(j: u32, masks: vec2<u32>) -> PauliPair {
  let flips = masks.x != 0u;
  let top = 1u << firstLeadingBit(select(masks.y, masks.x, flips));
  let k0 = pair_first(j, top);
  let k1 = select(k0 | top, k0 ^ masks.x, flips);
  return PauliPair(k0, k1, parity_sign(k0, masks.y), parity_sign(k1, masks.y), flips);
}

// P applied to the amplitudes (a, b) at (k0, k1) of a PauliPair.
fn pauli_apply(pp: PauliPair, a: Amp, b: Amp) -> array<Amp, 2> {
  if (pp.flips) { return array<Amp, 2>(pp.s1 * b, pp.s0 * a); }
  return array<Amp, 2>(pp.s0 * a, pp.s1 * b);
}

fn is_channel(kind: u32) -> bool { return kind == OP_CHANNEL1 || kind == OP_CHANNEL2; }
