// The per-sample gradient slots of the adjoint kernels (bindings 4 to 6): grad_params[row * params
// + k] for trainable parameter k, grad_features[row * features + i] for feature column i. Needs
// lib/gates.wgsl and the kernel's `meta_` (params, features, want_features).

@group(0) @binding(4) var<storage, read> param_of: array<u32>;   // per matrix: param index or NO_INDEX
@group(0) @binding(5) var<storage, read_write> grad_params: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad_features: array<f32>;

// Zeroes the slots of `row` (by the one invocation that owns them).
fn zero_slots(row: u32) {
  for (var k = 0u; k < meta_.params; k++) { grad_params[row * meta_.params + k] = 0.0; }
  if (meta_.want_features != 0u) {
    for (var k = 0u; k < meta_.features; k++) { grad_features[row * meta_.features + k] = 0.0; }
  }
}

// The slot an op's gradient goes to: a parameter (matrices), a feature column (feature
// rotations, when asked for), or NO_INDEX.
fn grad_slot(op: vec4<u32>) -> u32 {
  let kind = op_kind(op);
  if (kind == OP_MATRIX) { return param_of[op.w]; }
  if (kind == OP_FEATURE_ROTATION && meta_.want_features != 0u) { return op.w; }
  return NO_INDEX;
}

// Adds `value` to slot `slot` (from grad_slot) of `row`.
fn add_to_slot(row: u32, op: vec4<u32>, slot: u32, value: f32) {
  if (op_kind(op) == OP_MATRIX) {
    grad_params[row * meta_.params + slot] += value;
  } else {
    grad_features[row * meta_.features + slot] += value;
  }
}
