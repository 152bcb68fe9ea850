/**
 * Standalone buffer helpers for code outside a runner (tests, the benchmark). Runners use a
 * BufferSet (src/gpu/buffer-set.ts) and read results through a GpuCall (src/gpu/check.ts).
 */

/** A storage buffer of at least `bytes` (rounded up to 16; WebGPU rejects empty bindings). The caller destroys it. */
export function storageBuffer(device: GPUDevice, bytes: number, label: string, extraUsage = 0): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage,
  });
}

/** Copies `bytes` of `source` into a new mappable buffer and returns them as a Float32Array. */
export async function readFloats(device: GPUDevice, source: GPUBuffer, bytes: number): Promise<Float32Array> {
  const staging = device.createBuffer({ label: 'readback', size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(source, 0, staging, 0, staging.size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(bytes / 4);
    out.set(new Float32Array(staging.getMappedRange(0, staging.size), 0, bytes / 4));
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}
