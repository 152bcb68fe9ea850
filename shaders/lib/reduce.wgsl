// Sums over segments of SEG invocations (a power of two dividing GROUP_SIZE) in workgroup memory:
// the kernel declares the GROUP_SIZE and SEG overrides.

var<workgroup> red: array<f32, GROUP_SIZE>;

// Every invocation passes its value; the first invocation of each segment gets the segment's sum.
// Starts with a barrier of the whole workgroup: call it in workgroup-uniform control flow.
fn segment_sum(lid: u32, value: f32) -> f32 {
  red[lid] = value;
  workgroupBarrier();
  for (var stride = SEG >> 1u; stride > 0u; stride >>= 1u) {
    if ((lid & (SEG - 1u)) < stride) { red[lid] += red[lid + stride]; }
    workgroupBarrier();
  }
  // Only the first invocation of a segment uses its red slot, and only it writes it next.
  return red[lid];
}
