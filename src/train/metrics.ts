import { QmoeInputError, checkInt } from '../errors.js';

/**
 * Classification metrics. Labels are integers 0..classes-1; `yTrue` and `yPred` have the same,
 * non-zero length. Results are fractions in [0, 1] (not percentages).
 */

/** The predicted class of each row of rows x classes probabilities (the lowest index on ties). */
export function predictedClasses(probs: ArrayLike<number>, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0, at = 0; r < rows; r++, at += classes) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[at + c] > probs[at + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Fraction of rows where yPred equals yTrue. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair(yTrue, yPred);
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return hit / yTrue.length;
}

/**
 * Confusion matrix: `m[t][p]` counts rows of true class t predicted as class p (rows are the
 * true class, as scikit-learn's confusion_matrix). Plain nested arrays, for JSON reports.
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number[][] {
  checkPair(yTrue, yPred, classes);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/**
 * F1 of each class c: 2 TP / (2 TP + FP + FN), treating c as the positive class. A class with
 * no true and no predicted rows (0 / 0) scores 0, as scikit-learn's default zero_division.
 */
export function perClassF1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number[] {
  return perClassF1FromConfusion(confusionMatrix(yTrue, yPred, classes));
}

function perClassF1FromConfusion(m: number[][]): number[] {
  const classes = m.length;
  const out: number[] = [];
  for (let c = 0; c < classes; c++) {
    const tp = m[c][c];
    let fp = 0;
    let fn = 0;
    for (let k = 0; k < classes; k++) {
      if (k === c) continue;
      fp += m[k][c];
      fn += m[c][k];
    }
    const d = 2 * tp + fp + fn;
    out.push(d === 0 ? 0 : (2 * tp) / d);
  }
  return out;
}

/**
 * F1 score. For classes = 2, the binary F1 of the positive class 1 (scikit-learn's
 * f1_score(average='binary', pos_label=1)); for classes > 2, the macro F1: the unweighted mean of
 * the per-class F1 scores (f1_score(average='macro', labels=range(classes))), every class
 * counted even if absent (it then scores 0). Use `perClassF1` for the per-class values.
 */
export function f1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number {
  checkInt('classes', classes, 2, 0x7fffffff);
  return classes === 2 ? perClassF1(yTrue, yPred, classes)[1] : macroF1(yTrue, yPred, classes);
}

/** Macro F1 for any number of classes (>= 2): the unweighted mean of the per-class F1 scores. */
export function macroF1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number {
  checkInt('classes', classes, 2, 0x7fffffff);
  const per = perClassF1(yTrue, yPred, classes);
  return per.reduce((s, v) => s + v, 0) / classes;
}

/** Everything metrics.json reports about predictions on one split. */
export interface ClassificationReport {
  accuracy: number;
  /** f1(): binary F1 of class 1 for two classes, else macro F1. */
  f1: number;
  macroF1: number;
  perClassF1: number[];
  /** confusion[t][p]: rows of true class t predicted as p. */
  confusion: number[][];
}

export function classificationReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): ClassificationReport {
  checkInt('classes', classes, 2, 0x7fffffff);
  const confusion = confusionMatrix(yTrue, yPred, classes);
  const perClassF1 = perClassF1FromConfusion(confusion);
  let hits = 0;
  for (let c = 0; c < classes; c++) hits += confusion[c][c];
  const macro = perClassF1.reduce((s, v) => s + v, 0) / classes;
  return { accuracy: hits / yTrue.length, f1: classes === 2 ? perClassF1[1] : macro, macroF1: macro, perClassF1, confusion };
}

/**
 * Parameter efficiency eta = accuracy / ln(1 + params): accuracy as a fraction in [0, 1], the
 * natural logarithm, params the number of trainable parameters counted (>= 1; which ones are
 * counted is the caller's choice: the `code` preset counts router parameters only). The study's
 * Table I gives larger numbers than this formula yields in any base (see docs/study.md).
 */
export function efficiency(accuracy: number, params: number): number {
  if (typeof accuracy !== 'number' || !Number.isFinite(accuracy) || accuracy < 0 || accuracy > 1) {
    throw new QmoeInputError('accuracy', accuracy, 'must be a fraction from 0 to 1 (not a percentage)');
  }
  checkInt('params', params, 1, Number.MAX_SAFE_INTEGER);
  return accuracy / Math.log(1 + params);
}

function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes?: number): void {
  if (classes !== undefined) checkInt('classes', classes, 1, 0x7fffffff);
  for (const [name, y] of [['yTrue', yTrue], ['yPred', yPred]] as const) {
    if (!y || typeof y !== 'object' || typeof y.length !== 'number' || y.length < 1) {
      throw new QmoeInputError(name, y, 'must be a non-empty array of class labels');
    }
  }
  if (yPred.length !== yTrue.length) {
    throw new QmoeInputError('yPred.length', yPred.length, `must equal yTrue.length (${yTrue.length})`);
  }
  for (const [name, y] of [['yTrue', yTrue], ['yPred', yPred]] as const) {
    for (let i = 0; i < y.length; i++) {
      const v = y[i];
      const bad = !Number.isInteger(v) || v < 0 || (classes !== undefined && v >= classes);
      if (bad) {
        const limit = classes !== undefined ? `labels must be integers from 0 to ${classes - 1}` : 'labels must be integers >= 0';
        throw new QmoeInputError(`${name}[${i}]`, v, limit);
      }
    }
  }
}
