import type { EpochRecord } from '../../src/train/trainer.js';

/** A training history without its wall-time fields, which differ between any two runs. */
export function untimed(history: EpochRecord[]) {
  return history.map(({ seconds: _s, rowsPerSecond: _r, ...rest }) => rest);
}
