import { QmoeGpuError, QmoeGpuMemoryError } from '../errors.js';
import type { GpuContext } from './context.js';

/** Throws the QmoeGpuError of a lost device. The one device check of every GPU path. */
export function checkDevice(gpu: GpuContext): void {
  if (gpu.lostReason) throw new QmoeGpuError(`the GPU device was lost (${gpu.lostReason})`);
}

const SCOPES: GPUErrorFilter[] = ['out-of-memory', 'validation', 'internal'];

/** Bytes in words: 1.5 GiB, 512 KiB, 12 B. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${Number(v.toFixed(2))} ${units[u]}`;
}

/**
 * Runs `fn` (GPU calls only: allocations, encoding, submissions) inside out-of-memory, validation
 * and internal error scopes. No await happens between the pushes and the pops, so interleaved
 * async work cannot take another's scope. The promise rejects with a QmoeGpuError naming `what`
 * and the device's message (a QmoeGpuMemoryError of `bytes` for an out-of-memory error).
 */
export function scoped<T>(gpu: GpuContext, what: string, fn: () => T, bytes = 0): { value: T; errors: Promise<void> } {
  const { device } = gpu;
  for (const filter of SCOPES) device.pushErrorScope(filter);
  let value: T | undefined;
  let thrown: { error: unknown } | null = null;
  try {
    value = fn();
  } catch (error) {
    thrown = { error };
  }
  // Popped innermost first: internal, validation, out-of-memory.
  const popped = SCOPES.map(() => device.popErrorScope());
  if (thrown) {
    for (const p of popped) p.catch(() => {});
    throw thrown.error;
  }
  const errors = Promise.all(popped).then(
    (found) => {
      const [internal, validation, oom] = found;
      if (oom) throw new QmoeGpuMemoryError(`out of GPU memory: ${what} (the device says: ${oneLine(oom.message)})`, bytes);
      const error = validation ?? internal;
      if (error) throw new QmoeGpuError(`${what}: the GPU reported ${validation ? 'a validation' : 'an internal'} error: ${oneLine(error.message)}`);
    },
    (e: Error) => {
      checkDevice(gpu);
      throw new QmoeGpuError(`${what}: checking for GPU errors failed (${describe(e)})`);
    },
  );
  return { value: value as T, errors };
}

/** A device message on one line (Dawn's span several, with indented context). */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*-?\s*/g, '; ').trim();
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.message ? `${e.name}: ${e.message}` : `${e.name}, no message`;
}

/**
 * The GPU work behind one result (a backend call, a training step's readback): every submission
 * goes through submit(), which checks it in error scopes, and read() copies a buffer back only
 * after checking those scopes, the errors the device reported outside any scope since the call
 * began, and that the device is alive. A failed check, a failed mapAsync and a device destroyed
 * during the call all become a QmoeGpuError that names the cause: never a number.
 */
export class GpuCall {
  private readonly pending: Promise<void>[] = [];
  private readonly mark: number;

  constructor(
    readonly gpu: GpuContext,
    /** What the call computes, for messages ("the probabilities", "a training step"). */
    readonly what: string,
  ) {
    checkDevice(gpu);
    this.mark = gpu.uncapturedCount;
  }

  /** Runs GPU calls (encoding, submissions) under error scopes; their errors surface at the next read() or check(). */
  run(fn: () => void): void {
    const { errors } = scoped(this.gpu, this.what, fn);
    errors.catch(() => {}); // awaited in check(); never an unhandled rejection meanwhile
    this.pending.push(errors);
  }

  /** Finishes and submits `encoder` under error scopes. */
  submit(encoder: GPUCommandEncoder): void {
    this.run(() => this.gpu.device.queue.submit([encoder.finish()]));
  }

  /** Waits for the checks of everything submitted so far; throws the first error found. */
  async check(): Promise<void> {
    const pending = this.pending.splice(0);
    for (const p of pending) await p;
    checkDevice(this.gpu);
    const fresh = this.gpu.uncapturedCount - this.mark;
    if (fresh > 0) {
      const last = this.gpu.uncapturedErrors.at(-1) ?? '';
      throw new QmoeGpuError(`${this.what}: the GPU reported ${fresh} error${fresh > 1 ? 's' : ''} outside any check (last: ${oneLine(last)})`);
    }
  }

  /**
   * Copies the first `bytes` of `source` back as f32 numbers, after the checks. `staging` (a
   * MAP_READ buffer of at least `bytes`, e.g. BufferSet.readback) is reused; without it a
   * temporary one is made and freed.
   */
  async read(source: GPUBuffer, bytes: number, staging?: GPUBuffer): Promise<Float32Array> {
    const { device } = this.gpu;
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    let buffer = staging;
    if (buffer && buffer.size < size) throw new Error(`GpuCall.read: the staging buffer (${buffer.size} bytes) is smaller than ${size} bytes`);
    if (!buffer) {
      const made = scoped(this.gpu, `${this.what}: a ${formatBytes(size)} readback buffer could not be allocated`, () =>
        device.createBuffer({ label: 'readback', size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      size);
      buffer = made.value;
      try {
        await made.errors;
      } catch (e) {
        buffer.destroy();
        throw e;
      }
    }
    const target = buffer;
    try {
      this.run(() => {
        const encoder = device.createCommandEncoder({ label: 'readback' });
        encoder.copyBufferToBuffer(source, 0, target, 0, size);
        device.queue.submit([encoder.finish()]);
      });
      try {
        await target.mapAsync(GPUMapMode.READ, 0, size);
      } catch (e) {
        // A destroyed device rejects mapAsync (an AbortError without a message) before its lost
        // promise settles: give that a moment, so the error names the loss.
        await Promise.race([device.lost, new Promise((resolve) => setTimeout(resolve, 100))]);
        checkDevice(this.gpu);
        await this.check();
        throw new QmoeGpuError(`${this.what}: reading the result back failed (${describe(e)}; the device may have been destroyed during the call)`);
      }
      try {
        await this.check();
        const out = new Float32Array(bytes / 4);
        out.set(new Float32Array(target.getMappedRange(0, size), 0, bytes / 4));
        return out;
      } finally {
        target.unmap();
      }
    } finally {
      if (!staging) target.destroy();
    }
  }
}
