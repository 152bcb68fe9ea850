/** Wall-clock timing of GPU work: k submissions, then one wait for the queue to drain. */

export interface Timing {
  /** Median of the samples: ms per run. */
  ms: number;
  /** Fastest sample: ms per run. */
  minMs: number;
  /** Every sample: ms per run (each the wall time of k runs divided by k). */
  samples: number[];
  /** Runs per sample. */
  k: number;
}

export interface TimingOptions {
  /** Wall time one sample aims at (k is chosen from a calibration run to reach it). */
  targetMs: number;
  /** Samples per variant. */
  repeats: number;
  /** Most runs per sample. */
  maxK: number;
}

/** One thing to time: `submit(k)` submits k runs of it without waiting. */
export interface Variant {
  submit: (k: number) => void;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function wallMs(device: GPUDevice, variant: Variant, k: number): Promise<number> {
  const t0 = performance.now();
  variant.submit(k);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

/**
 * Times several variants with their samples interleaved (A B C A B C ...), so drift of clocks or
 * of the machine's load hits them alike. Each variant gets one warm-up run, then a calibration
 * run that picks its k (when k is 1, the calibration run is the first sample).
 */
export async function timeInterleaved(device: GPUDevice, variants: Variant[], options: TimingOptions): Promise<Timing[]> {
  const ks: number[] = [];
  const samples: number[][] = variants.map(() => []);
  for (const [i, v] of variants.entries()) {
    await wallMs(device, v, 1);
    const one = await wallMs(device, v, 1);
    const k = Math.max(1, Math.min(options.maxK, Math.ceil(options.targetMs / Math.max(one, 1e-3))));
    ks.push(k);
    if (k === 1) samples[i].push(one);
  }
  for (let r = 0; r < options.repeats; r++) {
    for (let i = 0; i < variants.length; i++) {
      if (samples[i].length <= r) samples[i].push((await wallMs(device, variants[i], ks[i])) / ks[i]);
    }
  }
  return samples.map((s, i) => ({ ms: median(s), minMs: Math.min(...s), samples: s, k: ks[i] }));
}

/** Times one variant; see timeInterleaved. */
export async function timeOne(device: GPUDevice, variant: Variant, options: TimingOptions): Promise<Timing> {
  return (await timeInterleaved(device, [variant], options))[0];
}

/**
 * Runs `make` inside out-of-memory and validation error scopes, so a buffer the device cannot
 * hold becomes an exception (Dawn otherwise only reports it as an uncaptured error).
 */
export async function scoped<T>(device: GPUDevice, make: () => Promise<T>, cleanup: (value: T) => void): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let value: T;
  try {
    value = await make();
  } catch (e) {
    await device.popErrorScope().catch(() => null);
    await device.popErrorScope().catch(() => null);
    throw e;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  const error = oom ?? validation;
  if (error) {
    cleanup(value);
    throw new Error(`${oom ? 'out of GPU memory' : 'validation error'}: ${error.message}`);
  }
  return value;
}

/** Thrown when one size runs past its time limit: the GPU is then in an unknown state. */
export class StallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StallError';
  }
}

/**
 * Runs `work` with a time limit; past it, throws a StallError naming `what()` (the stage reached).
 * The timer also keeps Node's event loop alive while Dawn's promises are pending.
 */
export async function withTimeout<T>(ms: number, what: () => string, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StallError(`no result after ${ms / 1000} s (${what()})`)), ms);
  });
  try {
    return await Promise.race([work(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Deterministic uniform floats in [0, 1) (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
