// Column sums of a row-major rows x cols f32 matrix, one pass: workgroup (x, block) sums the
// rows [block * 256, block * 256 + 256) of 32 adjacent columns and writes
// out[block * cols + col]. Invocation (lane, c) of the 8 x 32 workgroup adds 32 rows serially
// (coalesced: 32 adjacent columns per row), then a tree reduction over the 8 lanes in workgroup
// memory. The host repeats the pass on the partial sums until one row is left (no atomics).

#struct Meta

const COLS_PER_GROUP: u32 = 32u;
const LANES: u32 = 8u;
const ROWS_PER_GROUP: u32 = 256u;

@group(0) @binding(0) var<storage, read> matrix: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> meta_: Meta;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let col = wg.x * COLS_PER_GROUP + (lid & (COLS_PER_GROUP - 1u));
  let lane = lid / COLS_PER_GROUP;
  let block = wg.y + wg.z * meta_.groups_y;
  let first = block * ROWS_PER_GROUP;
  var acc = 0.0;
  if (col < meta_.cols) {
    for (var r = first + lane; r < min(first + ROWS_PER_GROUP, meta_.rows); r += LANES) {
      acc += matrix[r * meta_.cols + col];
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var stride = LANES >> 1u; stride > 0u; stride >>= 1u) {
    if (lane < stride) { part[lid] += part[lid + stride * COLS_PER_GROUP]; }
    workgroupBarrier();
  }
  if (lane == 0u && col < meta_.cols && first < meta_.rows) { out[block * meta_.cols + col] = part[lid]; }
}
