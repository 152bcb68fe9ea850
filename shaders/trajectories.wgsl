// Noisy probabilities by Monte-Carlo trajectories: one workgroup per sample runs its T
// trajectories, SLOTS_PER_GROUP state vectors at a time in workgroup memory; at every channel a
// Pauli is drawn from a counter-based hash of (seed, step, sample, trajectory, site), the same
// integer code as src/noise/rng.ts and src/noise/trajectories-cpu.ts, so CPU and GPU draw the
// same Paulis. The mean of |psi|^2 over trajectories accumulates in `out` (each entry owned by one
// invocation: no atomics), then readout error is applied in place.
//
// REAL: states and matrices are real (every gate real; Y is applied as XZ, a global phase off).
//
// An op is a vec4<u32>:
//   x: kind | axis << 4 (gates) or kind | site << 4 (channels)
//      kind 0: matrix mats[w]; 1: rotation about `axis` by the per-sample angle of feature w;
//      2: swap of bits y and z; 3: one-qubit channel on bit y; 4: two-qubit channel on bits y, z
//   y: stride of the target bit (channels: of the first wire)
//   z: control mask (swap, kind 4: the second stride)
//   w: matrix index, feature column, or (channels) the 24-bit rate threshold

struct Meta {
  rows: u32,           // samples in this dispatch
  features: u32,       // row width F of the trig table
  num_ops: u32,
  groups_x: u32,
  trajectories: u32,   // T
  seed: u32,
  step: u32,
  first_sample: u32,   // index of this dispatch's row 0 in the whole data set
  readout_bits: u32,   // readout bit-flip probability (f32 bits)
}

@group(0) @binding(0) var<storage, read> ops: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> trig: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;   // rows x DIM
@group(0) @binding(4) var<uniform> meta_: Meta;

#if ${REAL}
alias Amp = f32;
@group(0) @binding(1) var<storage, read> mats: array<vec4<f32>>;
fn prob(a: Amp) -> f32 { return a * a; }
fn one() -> Amp { return 1.0; }
fn zero() -> Amp { return 0.0; }
fn matrix(op: vec4<u32>, trig_row: u32) -> array<Amp, 4> {
  if ((op.x & 15u) == 1u) {
    let cs = trig[trig_row + op.w];
    return array<Amp, 4>(cs.x, -cs.y, cs.y, cs.x);
  }
  let m = mats[op.w];
  return array<Amp, 4>(m.x, m.y, m.z, m.w);
}
fn mul(m: Amp, a: Amp) -> Amp { return m * a; }
#else
alias Amp = vec2<f32>;
@group(0) @binding(1) var<storage, read> mats: array<vec4<f32>>;
fn prob(a: Amp) -> f32 { return dot(a, a); }
fn one() -> Amp { return vec2<f32>(1.0, 0.0); }
fn zero() -> Amp { return vec2<f32>(0.0, 0.0); }
fn matrix(op: vec4<u32>, trig_row: u32) -> array<Amp, 4> {
  if ((op.x & 15u) == 1u) {
    let cs = trig[trig_row + op.w];
    let c = cs.x;
    let s = cs.y;
    let axis = (op.x >> 4u) & 3u;
    if (axis == 0u) { return array<Amp, 4>(vec2(c, 0.0), vec2(0.0, -s), vec2(0.0, -s), vec2(c, 0.0)); }
    if (axis == 1u) { return array<Amp, 4>(vec2(c, 0.0), vec2(-s, 0.0), vec2(s, 0.0), vec2(c, 0.0)); }
    return array<Amp, 4>(vec2(c, -s), vec2(0.0, 0.0), vec2(0.0, 0.0), vec2(c, s));
  }
  let r0 = mats[2u * op.w];
  let r1 = mats[2u * op.w + 1u];
  return array<Amp, 4>(r0.xy, r0.zw, r1.xy, r1.zw);
}
fn mul(m: Amp, a: Amp) -> Amp { return vec2<f32>(m.x * a.x - m.y * a.y, m.x * a.y + m.y * a.x); }
#endif

override QUBITS: u32;
override GROUP_SIZE: u32 = 64u;
override SLOTS_PER_GROUP: u32 = 1u;
override DIM: u32 = 1u << QUBITS;
override SLOTS: u32 = SLOTS_PER_GROUP * DIM;

var<workgroup> state: array<Amp, SLOTS>;

// PCG hash (src/noise/rng.ts pcgHash).
fn pcg_hash(v: u32) -> u32 {
  let st = v * 747796405u + 2891336453u;
  let word = ((st >> ((st >> 28u) + 4u)) ^ st) * 277803737u;
  return (word >> 22u) ^ word;
}

fn pair_first(j: u32, stride: u32) -> u32 {
  let low = j & (stride - 1u);
  return ((j - low) << 1u) | low;
}

// x and z masks of Pauli code c (0 I, 1 X, 2 Y, 3 Z) on the bit `bit`.
fn pauli_masks(c: u32, bit: u32) -> vec2<u32> {
  return vec2<u32>(select(0u, bit, c == 1u || c == 2u), select(0u, bit, c == 2u || c == 3u));
}

// (xmask, zmask) of the Pauli drawn at channel op `op` for the trajectory with hash prefix `prefix`
// (drawPauli in src/noise/trajectories-cpu.ts); (0, 0): none.
fn draw(op: vec4<u32>, prefix: u32) -> vec2<u32> {
  let site = pcg_hash(prefix + (op.x >> 4u));
  let h = pcg_hash(site + 0u);
  if ((h >> 8u) >= op.w) { return vec2<u32>(0u, 0u); }
  let c = pcg_hash(site + 1u);
  if ((op.x & 15u) == 3u) { return pauli_masks(1u + c % 3u, op.y); }
  let k = 1u + c % 15u;
  return pauli_masks(k >> 2u, op.y) | pauli_masks(k & 3u, op.z);
}

fn sign_of(k: u32, zmask: u32) -> f32 {
  return select(1.0, -1.0, (countOneBits(k & zmask) & 1u) == 1u);
}

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let sample = wg.x + wg.y * meta_.groups_x;
  if (sample >= meta_.rows) { return; }   // workgroup-uniform
  let half_dim = DIM >> 1u;
  let pairs = SLOTS_PER_GROUP * half_dim;
  let T = meta_.trajectories;
  let global_sample = meta_.first_sample + sample;
  let pre = pcg_hash(pcg_hash(pcg_hash(meta_.seed) + meta_.step) + global_sample);
  let trig_row = sample * meta_.features;
  for (var t0 = 0u; t0 < T; t0 += SLOTS_PER_GROUP) {
    for (var i = lid; i < SLOTS; i += GROUP_SIZE) {
      state[i] = select(zero(), one(), (i & (DIM - 1u)) == 0u);
    }
    workgroupBarrier();
    for (var g = 0u; g < meta_.num_ops; g++) {
      let op = ops[g];
      let kind = op.x & 15u;
      var cached_slot = 0xffffffffu;
      var masks = vec2<u32>(0u, 0u);
      for (var p = lid; p < pairs; p += GROUP_SIZE) {
        let s = p / half_dim;
        let base = s * DIM;
        let j = p - s * half_dim;
        if (kind >= 3u) {
          if (s != cached_slot) {
            masks = draw(op, pcg_hash(pre + t0 + s));
            cached_slot = s;
          }
          let xm = masks.x;
          let zm = masks.y;
          if (xm == 0u && zm == 0u) { continue; }
          if (xm != 0u) {
            let top = 1u << firstLeadingBit(xm);
            let k0 = pair_first(j, top);
            let k1 = k0 ^ xm;
            let a = state[base + k0];
            state[base + k0] = sign_of(k1, zm) * state[base + k1];
            state[base + k1] = sign_of(k0, zm) * a;
          } else {
            let top = 1u << firstLeadingBit(zm);
            let k0 = pair_first(j, top);
            let k1 = k0 | top;
            state[base + k0] = sign_of(k0, zm) * state[base + k0];
            state[base + k1] = sign_of(k1, zm) * state[base + k1];
          }
          continue;
        }
        let i0 = pair_first(j, op.y);
        if (kind == 2u) {
          if ((i0 & op.z) != 0u) {
            let k = i0 ^ op.y ^ op.z;
            let tmp = state[base + i0];
            state[base + i0] = state[base + k];
            state[base + k] = tmp;
          }
          continue;
        }
        if ((i0 & op.z) != op.z) { continue; }
        let m = matrix(op, trig_row);
        let a = state[base + i0];
        let b = state[base + i0 + op.y];
        state[base + i0] = mul(m[0], a) + mul(m[1], b);
        state[base + i0 + op.y] = mul(m[2], a) + mul(m[3], b);
      }
      workgroupBarrier();
    }
    // Accumulate the slots that hold real trajectories (t0 + s < T).
    let live = min(SLOTS_PER_GROUP, T - t0);
    for (var k = lid; k < DIM; k += GROUP_SIZE) {
      var acc = 0.0;
      for (var s = 0u; s < live; s++) { acc += prob(state[s * DIM + k]); }
      let o = sample * DIM + k;
      if (t0 == 0u) { out[o] = acc; } else { out[o] += acc; }
    }
    workgroupBarrier();
  }
  let inv = 1.0 / f32(T);
  for (var k = lid; k < DIM; k += GROUP_SIZE) { out[sample * DIM + k] *= inv; }
  let r = bitcast<f32>(meta_.readout_bits);
  if (r > 0.0) {
    for (var qb = 0u; qb < QUBITS; qb++) {
      storageBarrier();
      let bit = 1u << qb;
      for (var i = lid; i < half_dim; i += GROUP_SIZE) {
        let k0 = sample * DIM + pair_first(i, bit);
        let a = out[k0];
        let b = out[k0 + bit];
        out[k0] = (1.0 - r) * a + r * b;
        out[k0 + bit] = r * a + (1.0 - r) * b;
      }
    }
  }
}
