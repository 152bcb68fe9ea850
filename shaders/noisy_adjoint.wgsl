// Noise-aware adjoint gradient by trajectories: one workgroup per (sample, trajectory) pair holds
// psi and lambda in workgroup memory. Per pair it
//   1. recomputes the forward state with the trajectory's Paulis inserted at the channel sites,
//      drawn from the counter-based hash of (seed, step, sample, trajectory, site) exactly as
//      shaders/trajectories.wgsl and src/noise/trajectories-cpu.ts draw them,
//   2. builds lambda = 2 (R dL/dp) psi from the upstream gradient dL/dout (rows x outputs), with
//      R the readout-error map (symmetric, so dL/dp = R dL/dp'),
//   3. sweeps the ops backwards: psi <- U^dagger psi and lambda <- U^dagger lambda (a drawn Pauli
//      P is undone by P itself: P^2 = +-1, the same sign on psi and lambda, so no gradient
//      changes); for a gate with a trainable parameter dL/dtheta += Re <lambda| dU/dtheta |psi>
//      (a tree reduction in workgroup memory),
// into grad[(sample * T + t) * params + k]; the host sums the rows on the GPU (ColumnReducer) and
// divides by T. Invocation 0 owns the pair's gradient row, so no atomics are needed.
//
// REAL: states and matrices are real (every gate real; Y is applied as XZ, a global phase off).
// Ops as in shaders/trajectories.wgsl (kinds 0..4; channels carry site << 4 and the 24-bit rate
// threshold). mats holds the gate matrices followed, from index meta_.dmat_offset, by their
// derivatives dU/dtheta (float64 on the host).

struct Meta {
  rows: u32,           // samples in this dispatch
  features: u32,       // row width F of the trig table
  num_ops: u32,
  outputs: u32,        // outputs per sample of the upstream gradient
  groups_x: u32,       // workgroups along x of the 2D dispatch
  params: u32,         // width of grad rows
  dmat_offset: u32,    // index of the first derivative matrix in mats
  trajectories: u32,   // T
  seed: u32,
  step: u32,
  first_sample: u32,   // index of this dispatch's row 0 in the whole data set
  readout_bits: u32,   // readout bit-flip probability (f32 bits)
}

const NONE: u32 = 0xffffffffu;

override QUBITS: u32;
override GROUP_SIZE: u32 = 64u;
// Invocations in the reduction: min(2^(QUBITS-1), GROUP_SIZE), a power of two.
override SEG: u32 = 1u;
// 0: probabilities (outputs = 2^n); 1: experts (contiguous blocks of expertBounds); 2: <Z_i>.
override OUTPUT_KIND: u32 = 0u;
override DIM: u32 = 1u << QUBITS;

@group(0) @binding(0) var<storage, read> ops: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> trig: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> upstream: array<f32>;
@group(0) @binding(4) var<storage, read> param_of: array<u32>;   // per matrix: param index or NONE
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
@group(0) @binding(6) var<uniform> meta_: Meta;

#if ${REAL}
alias Amp = f32;
@group(0) @binding(1) var<storage, read> mats: array<vec4<f32>>;   // (m00, m01, m10, m11)
fn one() -> Amp { return 1.0; }
fn zero() -> Amp { return 0.0; }
fn rot(axis: u32, c: f32, s: f32) -> array<Amp, 4> { return array<Amp, 4>(c, -s, s, c); }
fn table(i: u32) -> array<Amp, 4> {
  let m = mats[i];
  return array<Amp, 4>(m.x, m.y, m.z, m.w);
}
fn mul(m: Amp, a: Amp) -> Amp { return m * a; }
fn mul_conj(m: Amp, a: Amp) -> Amp { return m * a; }
fn re_inner(l: Amp, x: Amp) -> f32 { return l * x; }
fn scale(w: f32, a: Amp) -> Amp { return w * a; }
#else
alias Amp = vec2<f32>;
@group(0) @binding(1) var<storage, read> mats: array<vec4<f32>>;   // 2 per matrix: (m00, m01), (m10, m11)
fn one() -> Amp { return vec2<f32>(1.0, 0.0); }
fn zero() -> Amp { return vec2<f32>(0.0, 0.0); }
fn rot(axis: u32, c: f32, s: f32) -> array<Amp, 4> {
  if (axis == 0u) { return array<Amp, 4>(vec2(c, 0.0), vec2(0.0, -s), vec2(0.0, -s), vec2(c, 0.0)); }
  if (axis == 1u) { return array<Amp, 4>(vec2(c, 0.0), vec2(-s, 0.0), vec2(s, 0.0), vec2(c, 0.0)); }
  return array<Amp, 4>(vec2(c, -s), vec2(0.0, 0.0), vec2(0.0, 0.0), vec2(c, s));
}
fn table(i: u32) -> array<Amp, 4> {
  let r0 = mats[2u * i];
  let r1 = mats[2u * i + 1u];
  return array<Amp, 4>(r0.xy, r0.zw, r1.xy, r1.zw);
}
fn mul(m: Amp, a: Amp) -> Amp { return vec2<f32>(m.x * a.x - m.y * a.y, m.x * a.y + m.y * a.x); }
// conj(m) * a
fn mul_conj(m: Amp, a: Amp) -> Amp { return vec2<f32>(m.x * a.x + m.y * a.y, m.x * a.y - m.y * a.x); }
// Re(conj(l) * x)
fn re_inner(l: Amp, x: Amp) -> f32 { return dot(l, x); }
fn scale(w: f32, a: Amp) -> Amp { return w * a; }
#endif

// The gate matrix U of a gate op for the sample whose trig row starts at trig_row.
fn matrix(op: vec4<u32>, trig_row: u32) -> array<Amp, 4> {
  if ((op.x & 15u) == 1u) {
    let cs = trig[trig_row + op.w];
    return rot((op.x >> 4u) & 3u, cs.x, cs.y);
  }
  return table(op.w);
}

// PCG hash (src/noise/rng.ts pcgHash).
fn pcg_hash(v: u32) -> u32 {
  let st = v * 747796405u + 2891336453u;
  let word = ((st >> ((st >> 28u) + 4u)) ^ st) * 277803737u;
  return (word >> 22u) ^ word;
}

// Index of the j-th amplitude pair's first element: j with a zero bit inserted at `stride`.
fn pair_first(j: u32, stride: u32) -> u32 {
  let low = j & (stride - 1u);
  return ((j - low) << 1u) | low;
}

// x and z masks of Pauli code c (0 I, 1 X, 2 Y, 3 Z) on the bit `bit`.
fn pauli_masks(c: u32, bit: u32) -> vec2<u32> {
  return vec2<u32>(select(0u, bit, c == 1u || c == 2u), select(0u, bit, c == 2u || c == 3u));
}

// (xmask, zmask) of the Pauli drawn at channel op `op` for the trajectory with hash prefix `prefix`
// (drawPauli in src/noise/trajectories-cpu.ts, draw in shaders/trajectories.wgsl); (0, 0): none.
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

// dL/dp_k of a sample from its upstream gradient dL/dout (before readout error).
fn weight(row: u32, k: u32) -> f32 {
  let o = row * meta_.outputs;
  if (OUTPUT_KIND == 0u) { return upstream[o + k]; }
  if (OUTPUT_KIND == 1u) {
    // Expert e owns [floor(e DIM / E), floor((e + 1) DIM / E)): e = floor(((k + 1) E - 1) / DIM).
    return upstream[o + ((k + 1u) * meta_.outputs - 1u) / DIM];
  }
  var acc = 0.0;
  for (var i = 0u; i < QUBITS; i++) {
    let u = upstream[o + i];
    acc += select(u, -u, ((k >> (QUBITS - 1u - i)) & 1u) == 1u);
  }
  return acc;
}

var<workgroup> psi: array<Amp, DIM>;
var<workgroup> lam: array<Amp, DIM>;
var<workgroup> wts: array<f32, DIM>;
var<workgroup> red: array<f32, GROUP_SIZE>;

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let T = meta_.trajectories;
  let pair_index = wg.x + wg.y * meta_.groups_x;
  if (pair_index >= meta_.rows * T) { return; }   // workgroup-uniform
  let sample = pair_index / T;
  let t = pair_index - sample * T;
  let half_dim = DIM >> 1u;
  let trig_row = sample * meta_.features;
  let pre = pcg_hash(pcg_hash(pcg_hash(meta_.seed) + meta_.step) + meta_.first_sample + sample);
  let prefix = pcg_hash(pre + t);
  let out_row = pair_index * meta_.params;
  if (lid == 0u) {
    for (var k = 0u; k < meta_.params; k++) { grad[out_row + k] = 0.0; }
  }
  for (var i = lid; i < DIM; i += GROUP_SIZE) {
    psi[i] = select(zero(), one(), i == 0u);
  }
  workgroupBarrier();

  // 1. Forward, the drawn Paulis inserted.
  for (var g = 0u; g < meta_.num_ops; g++) {
    let op = ops[g];
    let kind = op.x & 15u;
    if (kind >= 3u) {
      let masks = draw(op, prefix);
      let xm = masks.x;
      let zm = masks.y;
      if (xm != 0u || zm != 0u) {
        for (var j = lid; j < half_dim; j += GROUP_SIZE) {
          if (xm != 0u) {
            let k0 = pair_first(j, 1u << firstLeadingBit(xm));
            let k1 = k0 ^ xm;
            let a = psi[k0];
            psi[k0] = sign_of(k1, zm) * psi[k1];
            psi[k1] = sign_of(k0, zm) * a;
          } else {
            let top = 1u << firstLeadingBit(zm);
            let k0 = pair_first(j, top);
            let k1 = k0 | top;
            psi[k0] = sign_of(k0, zm) * psi[k0];
            psi[k1] = sign_of(k1, zm) * psi[k1];
          }
        }
      }
      workgroupBarrier();
      continue;
    }
    for (var j = lid; j < half_dim; j += GROUP_SIZE) {
      let i0 = pair_first(j, op.y);
      if (kind == 2u) {
        if ((i0 & op.z) != 0u) {
          let k = i0 ^ op.y ^ op.z;
          let tmp = psi[i0];
          psi[i0] = psi[k];
          psi[k] = tmp;
        }
        continue;
      }
      if ((i0 & op.z) != op.z) { continue; }
      let m = matrix(op, trig_row);
      let a = psi[i0];
      let b = psi[i0 + op.y];
      psi[i0] = mul(m[0], a) + mul(m[1], b);
      psi[i0 + op.y] = mul(m[2], a) + mul(m[3], b);
    }
    workgroupBarrier();
  }

  // 2. dL/dp, then the readout map R on it (bit by bit), then lambda = 2 (R dL/dp) psi.
  for (var k = lid; k < DIM; k += GROUP_SIZE) { wts[k] = weight(sample, k); }
  workgroupBarrier();
  let r = bitcast<f32>(meta_.readout_bits);
  if (r > 0.0) {
    for (var qb = 0u; qb < QUBITS; qb++) {
      let bit = 1u << qb;
      for (var j = lid; j < half_dim; j += GROUP_SIZE) {
        let k0 = pair_first(j, bit);
        let a = wts[k0];
        let b = wts[k0 + bit];
        wts[k0] = (1.0 - r) * a + r * b;
        wts[k0 + bit] = r * a + (1.0 - r) * b;
      }
      workgroupBarrier();
    }
  }
  for (var k = lid; k < DIM; k += GROUP_SIZE) { lam[k] = scale(2.0 * wts[k], psi[k]); }
  workgroupBarrier();

  // 3. Backward sweep.
  for (var gi = meta_.num_ops; gi > 0u; gi--) {
    let g = gi - 1u;
    let op = ops[g];
    let kind = op.x & 15u;
    if (kind >= 3u) {
      let masks = draw(op, prefix);
      let xm = masks.x;
      let zm = masks.y;
      if (xm != 0u || zm != 0u) {
        for (var j = lid; j < half_dim; j += GROUP_SIZE) {
          if (xm != 0u) {
            let k0 = pair_first(j, 1u << firstLeadingBit(xm));
            let k1 = k0 ^ xm;
            let s0 = sign_of(k0, zm);
            let s1 = sign_of(k1, zm);
            let a = psi[k0];
            psi[k0] = s1 * psi[k1];
            psi[k1] = s0 * a;
            let u = lam[k0];
            lam[k0] = s1 * lam[k1];
            lam[k1] = s0 * u;
          } else {
            let top = 1u << firstLeadingBit(zm);
            let k0 = pair_first(j, top);
            let k1 = k0 | top;
            let s0 = sign_of(k0, zm);
            let s1 = sign_of(k1, zm);
            psi[k0] = s0 * psi[k0];
            psi[k1] = s1 * psi[k1];
            lam[k0] = s0 * lam[k0];
            lam[k1] = s1 * lam[k1];
          }
        }
      }
      workgroupBarrier();
      continue;
    }
    var slot = NONE;
    if (kind == 0u) { slot = param_of[op.w]; }
    let has_grad = slot != NONE;
    var partial = 0.0;
    for (var j = lid; j < half_dim; j += GROUP_SIZE) {
      let i0 = pair_first(j, op.y);
      if (kind == 2u) {
        if ((i0 & op.z) != 0u) {
          let k = i0 ^ op.y ^ op.z;
          let tmp = psi[i0];
          psi[i0] = psi[k];
          psi[k] = tmp;
          let u = lam[i0];
          lam[i0] = lam[k];
          lam[k] = u;
        }
        continue;
      }
      if ((i0 & op.z) != op.z) { continue; }
      let m = matrix(op, trig_row);
      let i1 = i0 + op.y;
      // psi <- U^dagger psi
      let a0 = psi[i0];
      let b0 = psi[i1];
      let a = mul_conj(m[0], a0) + mul_conj(m[2], b0);
      let b = mul_conj(m[1], a0) + mul_conj(m[3], b0);
      psi[i0] = a;
      psi[i1] = b;
      let la = lam[i0];
      let lb = lam[i1];
      if (has_grad) {
        let d = table(meta_.dmat_offset + op.w);
        partial += re_inner(la, mul(d[0], a) + mul(d[1], b)) + re_inner(lb, mul(d[2], a) + mul(d[3], b));
      }
      // lambda <- U^dagger lambda
      lam[i0] = mul_conj(m[0], la) + mul_conj(m[2], lb);
      lam[i1] = mul_conj(m[1], la) + mul_conj(m[3], lb);
    }
    if (has_grad) { red[lid] = partial; }
    workgroupBarrier();
    if (has_grad) {
      for (var stride = SEG >> 1u; stride > 0u; stride >>= 1u) {
        if (lid < stride) { red[lid] += red[lid + stride]; }
        workgroupBarrier();
      }
      // Only invocation 0 reads red[0], and only it writes red[0] next: no barrier needed.
      if (lid == 0u) { grad[out_row + slot] += red[0]; }
    }
  }
}
