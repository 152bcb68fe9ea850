import type { TrainingData, TrainingEngine } from '../../src/train/engine.js';
import { train, type TrainOptions, type TrainResult } from '../../src/train/trainer.js';

/**
 * The trainer of src/train/trainer.ts (the same one `qmoe train` runs), yielding to the browser
 * (a macrotask) after every epoch so the page stays responsive on the CPU engine too.
 */
export function trainLive(engine: TrainingEngine, data: { train: TrainingData; validation: TrainingData }, options: TrainOptions): Promise<TrainResult> {
  return train(engine, data, {
    ...options,
    onEpoch: async (record, state) => {
      await options.onEpoch?.(record, state);
      await new Promise((ok) => setTimeout(ok, 0));
    },
  });
}
