// Adam on the whole parameter vector of a model, on the GPU. The gradient of the batch's summed
// loss comes in two parts: the circuit angles (first CIRCUIT entries, from the adjoint kernel's
// reduction) and the classical parameters (from moe_head.wgsl's reduction, whose last two columns
// are the batch's summed loss and number of correct predictions). Invocation 0 adds those two and
// the batch size to the running statistics. With update = 0 only the statistics are added
// (evaluation).

#struct Meta

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read_write> moments: array<vec2<f32>>;   // (m, v) per parameter
@group(0) @binding(2) var<storage, read> circuit_grad: array<f32>;
@group(0) @binding(3) var<storage, read> head_grad: array<f32>;           // classical gradient, loss, correct
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;         // loss sum, correct, rows
@group(0) @binding(5) var<uniform> meta_: Meta;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let classical = meta_.count - meta_.circuit;
  if (i == 0u) {
    stats[0] += head_grad[classical];
    stats[1] += head_grad[classical + 1u];
    stats[2] += f32(meta_.rows);
  }
  if (meta_.update == 0u || i >= meta_.count) { return; }
  var g: f32;
  if (i < meta_.circuit) { g = circuit_grad[i]; } else { g = head_grad[i - meta_.circuit]; }
  g = g / f32(meta_.rows);
  var mv = moments[i];
  mv.x = meta_.beta1 * mv.x + (1.0 - meta_.beta1) * g;
  mv.y = meta_.beta2 * mv.y + (1.0 - meta_.beta2) * g * g;
  moments[i] = mv;
  params[i] -= meta_.lr * (mv.x / meta_.bias1) / (sqrt(mv.y / meta_.bias2) + meta_.eps);
}
