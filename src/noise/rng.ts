/**
 * Counter-based random numbers for noise, identical in TypeScript and WGSL: integer-only u32
 * arithmetic (PCG's output permutation as a hash, "Hash Functions for GPU Rendering", Jarzynski
 * and Olano 2020), chained over the counters. A draw depends only on its counters, never on the
 * order or the batch split in which draws are made. shaders/trajectories.wgsl has the same code.
 */

/** PCG hash of one u32 (pcg_hash in the WGSL). */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Streams: which use a draw is for (so trajectories and shots never share a draw). */
export const STREAM_PAULI = 0;
export const STREAM_PAULI_CHOICE = 1;
export const STREAM_SHOT = 2;

/**
 * The draw for (seed, step, sample, index, site, stream): `sample` is the row's index within the
 * whole data set (not within a chunk), `index` the trajectory (or shot), `site` the channel.
 */
export function noiseHash(seed: number, step: number, sample: number, index: number, site: number, stream: number): number {
  let h = pcgHash(seed >>> 0);
  h = pcgHash((h + (step >>> 0)) >>> 0);
  h = pcgHash((h + (sample >>> 0)) >>> 0);
  h = pcgHash((h + (index >>> 0)) >>> 0);
  h = pcgHash((h + (site >>> 0)) >>> 0);
  return pcgHash((h + (stream >>> 0)) >>> 0);
}

/** 24-bit fixed-point threshold: an event of probability p happens when (hash >> 8) < threshold. */
export function rateThreshold(p: number): number {
  return Math.round(p * 2 ** 24);
}
