// Fused adjoint-method gradient: one workgroup holds SAMPLES_PER_GROUP samples, each as two
// states in workgroup memory (psi and lambda). Per sample it
//   1. recomputes the forward state psi = U_G ... U_1 |0...0>,
//   2. builds lambda_k = 2 (dL/dp_k) psi_k from the upstream gradient dL/dout (rows x outputs),
//   3. sweeps the ops backwards: psi <- U_g^dagger psi; for a gate with a gradient slot
//      dL/dtheta_g = Re <lambda| dU_g/dtheta |psi> (a tree reduction over the amplitude pairs
//      in workgroup memory); lambda <- U_g^dagger lambda,
// and accumulates dL/dtheta into its per-sample slot: grad_params[row * params + k] for trainable
// parameter k, grad_features[row * features + i] for feature column i. One invocation per
// sample reads and writes its slots, in op order, so no atomics are needed.
//
// REAL: states and matrices are real (every gate real: RY, CRY, CZ, ...).
// Ops and trig table as in statevector.wgsl; mats holds the gate matrices followed, from index
// meta_.dmat_offset, by their derivatives dU/dtheta (both computed in float64 on the host).
// Feature rotations build U and dU/dtheta = U(theta + pi) / 2 from (cos, sin) of the half angle.

struct Meta {
  rows: u32,           // samples in this dispatch
  features: u32,       // row width F
  num_ops: u32,
  outputs: u32,        // outputs per sample of the upstream gradient
  groups_x: u32,       // workgroups along x of the 2D dispatch
  params: u32,         // width of grad_params rows
  dmat_offset: u32,    // index of the first derivative matrix in mats
  want_features: u32,  // 1: write grad_features
}

const NONE: u32 = 0xffffffffu;

override QUBITS: u32;
override GROUP_SIZE: u32 = 64u;
override SAMPLES_PER_GROUP: u32 = 1u;
// Threads per sample in the reduction: min(2^(QUBITS-1), GROUP_SIZE), a power of two.
override SEG: u32 = 1u;
// 0: probabilities (outputs = 2^n); 1: experts (contiguous blocks of expertBounds); 2: <Z_i>.
override OUTPUT_KIND: u32 = 0u;
override DIM: u32 = 1u << QUBITS;
override SLOTS: u32 = SAMPLES_PER_GROUP * DIM;

@group(0) @binding(0) var<storage, read> ops: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> trig: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> upstream: array<f32>;
@group(0) @binding(4) var<storage, read> param_of: array<u32>;   // per matrix: param index or NONE
@group(0) @binding(5) var<storage, read_write> grad_params: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad_features: array<f32>;
@group(0) @binding(7) var<uniform> meta_: Meta;

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

// The gate matrix U of an op for the sample whose trig row starts at trig_row.
fn matrix(op: vec4<u32>, trig_row: u32) -> array<Amp, 4> {
  if ((op.x & 15u) == 1u) {
    let cs = trig[trig_row + op.w];
    return rot(op.x >> 4u, cs.x, cs.y);
  }
  return table(op.w);
}

// dU/dtheta: a feature rotation R(theta) has entries linear in (cos, sin) of theta/2, and
// dR/dtheta = R(theta + pi) / 2, i.e. (c, s) -> (-s / 2, c / 2).
fn derivative(op: vec4<u32>, trig_row: u32) -> array<Amp, 4> {
  if ((op.x & 15u) == 1u) {
    let cs = trig[trig_row + op.w];
    return rot(op.x >> 4u, -0.5 * cs.y, 0.5 * cs.x);
  }
  return table(meta_.dmat_offset + op.w);
}

// Index of the j-th amplitude pair's first element: j with a zero bit inserted at `stride`.
fn pair_first(j: u32, stride: u32) -> u32 {
  let low = j & (stride - 1u);
  return ((j - low) << 1u) | low;
}

// dL/dp_k of a sample from its upstream gradient dL/dout.
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

var<workgroup> psi: array<Amp, SLOTS>;
var<workgroup> lam: array<Amp, SLOTS>;
var<workgroup> red: array<f32, GROUP_SIZE>;

@compute @workgroup_size(GROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = (wg.x + wg.y * meta_.groups_x) * SAMPLES_PER_GROUP;
  let half_dim = DIM >> 1u;
  let pairs = SAMPLES_PER_GROUP * half_dim;
  // The invocation that owns sample `mine`'s gradient slots (the first of its reduction segment).
  let mine = lid / SEG;
  let owner = (lid & (SEG - 1u)) == 0u && mine < SAMPLES_PER_GROUP && first + mine < meta_.rows;
  if (owner) {
    let row = first + mine;
    for (var k = 0u; k < meta_.params; k++) { grad_params[row * meta_.params + k] = 0.0; }
    if (meta_.want_features != 0u) {
      for (var k = 0u; k < meta_.features; k++) { grad_features[row * meta_.features + k] = 0.0; }
    }
  }
  for (var i = lid; i < SLOTS; i += GROUP_SIZE) {
    psi[i] = select(zero(), one(), (i & (DIM - 1u)) == 0u);
  }
  workgroupBarrier();

  // 1. Forward.
  for (var g = 0u; g < meta_.num_ops; g++) {
    let op = ops[g];
    let kind = op.x & 15u;
    for (var p = lid; p < pairs; p += GROUP_SIZE) {
      let s = p / half_dim;
      let base = s * DIM;
      let i0 = pair_first(p - s * half_dim, op.y);
      if (kind == 2u) {
        if ((i0 & op.z) != 0u) {
          let j = base + (i0 ^ op.y ^ op.z);
          let t = psi[base + i0];
          psi[base + i0] = psi[j];
          psi[j] = t;
        }
        continue;
      }
      if ((i0 & op.z) != op.z) { continue; }
      let row = min(first + s, meta_.rows - 1u);
      let m = matrix(op, row * meta_.features);
      let a = psi[base + i0];
      let b = psi[base + i0 + op.y];
      psi[base + i0] = mul(m[0], a) + mul(m[1], b);
      psi[base + i0 + op.y] = mul(m[2], a) + mul(m[3], b);
    }
    workgroupBarrier();
  }

  // 2. lambda = 2 (dL/dp) psi; zero for the padding samples past the batch.
  for (var i = lid; i < SLOTS; i += GROUP_SIZE) {
    let s = i / DIM;
    if (first + s < meta_.rows) {
      lam[i] = scale(2.0 * weight(first + s, i & (DIM - 1u)), psi[i]);
    } else {
      lam[i] = zero();
    }
  }
  workgroupBarrier();

  // 3. Backward sweep.
  for (var gi = meta_.num_ops; gi > 0u; gi--) {
    let g = gi - 1u;
    let op = ops[g];
    let kind = op.x & 15u;
    var slot = NONE;   // index into grad_params (kind 0) or grad_features (kind 1)
    if (kind == 0u) { slot = param_of[op.w]; }
    if (kind == 1u && meta_.want_features != 0u) { slot = op.w; }
    let has_grad = slot != NONE;
    var partial = 0.0;
    for (var p = lid; p < pairs; p += GROUP_SIZE) {
      let s = p / half_dim;
      let base = s * DIM;
      let i0 = pair_first(p - s * half_dim, op.y);
      if (kind == 2u) {
        if ((i0 & op.z) != 0u) {
          let j = base + (i0 ^ op.y ^ op.z);
          let t = psi[base + i0];
          psi[base + i0] = psi[j];
          psi[j] = t;
          let u = lam[base + i0];
          lam[base + i0] = lam[j];
          lam[j] = u;
        }
        continue;
      }
      if ((i0 & op.z) != op.z) { continue; }
      let row = min(first + s, meta_.rows - 1u);
      let m = matrix(op, row * meta_.features);
      let i1 = base + i0 + op.y;
      // psi <- U^dagger psi
      let a0 = psi[base + i0];
      let b0 = psi[i1];
      let a = mul_conj(m[0], a0) + mul_conj(m[2], b0);
      let b = mul_conj(m[1], a0) + mul_conj(m[3], b0);
      psi[base + i0] = a;
      psi[i1] = b;
      let la = lam[base + i0];
      let lb = lam[i1];
      if (has_grad) {
        let d = derivative(op, row * meta_.features);
        partial += re_inner(la, mul(d[0], a) + mul(d[1], b)) + re_inner(lb, mul(d[2], a) + mul(d[3], b));
      }
      // lambda <- U^dagger lambda
      lam[base + i0] = mul_conj(m[0], la) + mul_conj(m[2], lb);
      lam[i1] = mul_conj(m[1], la) + mul_conj(m[3], lb);
    }
    if (has_grad) { red[lid] = partial; }
    workgroupBarrier();
    if (has_grad) {
      // Tree reduction within each sample's segment of SEG invocations.
      for (var stride = SEG >> 1u; stride > 0u; stride >>= 1u) {
        if ((lid & (SEG - 1u)) < stride) { red[lid] += red[lid + stride]; }
        workgroupBarrier();
      }
      if (owner) {
        let row = first + mine;
        if (kind == 0u) {
          grad_params[row * meta_.params + slot] += red[lid];
        } else {
          grad_features[row * meta_.features + slot] += red[lid];
        }
      }
    }
  }
}
