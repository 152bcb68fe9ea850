// Readout error: each measured bit flips with probability r, independently.

// The readout map on the pair (k0, k0 | bit) of probabilities (or of weights dL/dp: the map is
// symmetric, so it maps both the same way).
fn readout_pair(r: f32, a: f32, b: f32) -> vec2<f32> {
  return vec2<f32>((1.0 - r) * a + r * b, r * a + (1.0 - r) * b);
}
