/** Buffer helpers. Every buffer made here is destroyed by whoever holds it. */

/** A storage buffer of at least `bytes` (rounded up to 16; WebGPU rejects empty bindings). */
export function storageBuffer(device: GPUDevice, bytes: number, label: string, extraUsage = 0): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage,
  });
}

/** A uniform buffer of `bytes` (rounded up to 16). */
export function uniformBuffer(device: GPUDevice, bytes: number, label: string): GPUBuffer {
  return device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
}

/** Writes u32 values to a uniform buffer. */
export function writeU32(device: GPUDevice, buffer: GPUBuffer, values: number[], offset = 0): void {
  device.queue.writeBuffer(buffer, offset, new Uint32Array(values));
}

/** Workgroup counts (x, y) covering `groups` workgroups within the per-dimension limit. */
export function grid(groups: number, maxPerDimension: number): [number, number] {
  if (groups <= maxPerDimension) return [Math.max(1, groups), 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y];
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
