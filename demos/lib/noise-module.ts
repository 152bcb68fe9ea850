/**
 * Whether the noise module (src/noise, issue 4: depolarizing channels, density matrices and
 * trajectories) was in the tree when the app was built (vite.config.ts lists its files). The
 * pages say what they cannot do without it instead of showing numbers.
 */
declare const __QMOE_NOISE_FILES__: string[] | undefined;

export const NOISE_MODULE_FILES: string[] = typeof __QMOE_NOISE_FILES__ !== 'undefined' ? __QMOE_NOISE_FILES__ : [];
export const HAS_NOISE_MODULE = NOISE_MODULE_FILES.length > 0;

export const NOISE_MISSING =
  'not yet: noisy training and evaluation need the noise module (src/noise, issue 4: depolarizing channels, density matrices, trajectories), which is not in this build';
export const NOISE_UNWIRED = 'not yet: the noise module (src/noise, issue 4) is in this build, but the app is not wired to it yet';
