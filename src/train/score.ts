import type { PreparedData } from './dataset.js';
import type { Split, TrainingEngine } from './engine.js';
import { classificationReport, type ClassificationReport } from './metrics.js';

/** Argmax per row of rows x classes probabilities. */
export function argmaxRows(probs: ArrayLike<number>, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[r * classes + c] > probs[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Accuracy, F1, macro F1 and the confusion matrix of the engine's predictions on one split. */
export async function scoreSplit(engine: TrainingEngine, data: PreparedData, split: Split): Promise<ClassificationReport & { rows: number }> {
  const d = data.splits[split];
  const probs = await engine.predict(d.x, d.rows);
  const pred = argmaxRows(probs, d.rows, d.classes);
  return { ...classificationReport(d.y, pred, d.classes), rows: d.rows };
}
