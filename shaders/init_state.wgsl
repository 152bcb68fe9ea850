// Sets every state of a batch to |0...0> (global-memory path).

struct Meta {
  count: u32,     // amplitudes in the batch: rows * 2^n
  dim: u32,       // 2^n
  groups_x: u32,  // workgroups along x of the 2D dispatch
}

#if ${REAL}
alias Amp = f32;
fn one() -> Amp { return 1.0; }
fn zero() -> Amp { return 0.0; }
#else
alias Amp = vec2<f32>;
fn one() -> Amp { return vec2<f32>(1.0, 0.0); }
fn zero() -> Amp { return vec2<f32>(0.0, 0.0); }
#endif

@group(0) @binding(0) var<storage, read_write> state: array<Amp>;
@group(0) @binding(1) var<uniform> meta_: Meta;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * meta_.groups_x) * 256u + lid;
  if (i >= meta_.count) { return; }
  state[i] = select(zero(), one(), (i & (meta_.dim - 1u)) == 0u);
}
