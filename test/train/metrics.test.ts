import { describe, expect, it } from 'vitest';
import { QmoeInputError } from '../../src/errors.js';
import { accuracy, classificationReport, confusionMatrix, efficiency, f1, macroF1, perClassF1, predictedClasses } from '../../src/train/metrics.js';

describe('metrics', () => {
  it('predictedClasses: the argmax of each row, the lowest index on ties', () => {
    expect(Array.from(predictedClasses([0.2, 0.8, 0.6, 0.4, 0.5, 0.5], 3, 2))).toEqual([1, 0, 0]);
    expect(Array.from(predictedClasses([0.1, 0.3, 0.6, 0.3, 0.3, 0.4], 2, 3))).toEqual([2, 2]);
  });

  const yTrue = [0, 0, 1, 1, 1, 0];
  const yPred = [0, 1, 1, 0, 1, 0];

  it('accuracy is the fraction of matching labels', () => {
    expect(accuracy(yTrue, yPred)).toBe(4 / 6);
    expect(accuracy(Int32Array.from([1, 1]), Int32Array.from([1, 1]))).toBe(1);
  });

  it('confusion matrix has true classes as rows', () => {
    expect(confusionMatrix(yTrue, yPred, 2)).toEqual([
      [2, 1],
      [1, 2],
    ]);
    expect(confusionMatrix([0, 0, 0], [1, 1, 0], 2)).toEqual([
      [1, 2],
      [0, 0],
    ]);
  });

  it('binary F1 is the F1 of class 1', () => {
    // class 1: TP 2, FP 1, FN 1 -> 2*2 / (4 + 1 + 1)
    expect(f1(yTrue, yPred, 2)).toBeCloseTo(2 / 3, 15);
    // precision 1/3 (TP 1, FP 2), recall 1 (FN 0): F1 = 2 * (1/3) / (4/3) = 1/2
    expect(f1([0, 0, 1], [1, 1, 1], 2)).toBeCloseTo(0.5, 15);
    // No positives anywhere: 0 / 0 scores 0 (scikit-learn's default zero_division).
    expect(f1([0, 0], [0, 0], 2)).toBe(0);
  });

  it('macro F1 averages the per-class F1 for more than two classes', () => {
    const t = [0, 1, 2, 2, 1, 0];
    const p = [0, 2, 1, 2, 1, 0];
    // class 0: 1; class 1: TP 1, FP 1, FN 1 -> 1/2; class 2 likewise 1/2.
    expect(perClassF1(t, p, 3)).toEqual([1, 0.5, 0.5]);
    expect(f1(t, p, 3)).toBeCloseTo(2 / 3, 15);
    // An absent class (3) counts as 0 in the macro mean.
    expect(f1(t, p, 4)).toBeCloseTo(2 / 4, 15);
    expect(macroF1(t, p, 3)).toBeCloseTo(2 / 3, 15);
    expect(classificationReport(t, p, 3)).toEqual({ accuracy: 4 / 6, f1: f1(t, p, 3), macroF1: f1(t, p, 3), perClassF1: [1, 0.5, 0.5], confusion: [[2, 0, 0], [0, 1, 1], [0, 1, 1]] });
    // Two classes: f1 is the binary F1 of class 1, macroF1 the mean of both.
    const two = classificationReport([0, 0, 1, 1], [0, 1, 1, 1], 2);
    expect(two.f1).toBeCloseTo(0.8, 15);
    expect(two.macroF1).toBeCloseTo((2 / 3 + 0.8) / 2, 15);
    expect(two.confusion).toEqual([[1, 1], [0, 2]]);
  });

  it('efficiency is accuracy / ln(1 + params)', () => {
    expect(efficiency(0.94, 24)).toBeCloseTo(0.94 / Math.log(25), 15);
    expect(efficiency(0.65, 12)).toBeCloseTo(0.253416, 6); // 0.65 / 2.564949
  });

  it('rejects bad input with QmoeInputError naming the argument', () => {
    const arg = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(QmoeInputError);
        return (e as QmoeInputError).argument;
      }
      return 'no error';
    };
    expect(arg(() => accuracy([0, 1], [0]))).toBe('yPred.length');
    expect(arg(() => accuracy([], []))).toBe('yTrue');
    expect(arg(() => accuracy([0, 1.5], [0, 1]))).toBe('yTrue[1]');
    expect(arg(() => f1([0, 1], [0, 2], 2))).toBe('yPred[1]');
    expect(arg(() => f1([0, 1], [0, 1], 1))).toBe('classes');
    expect(arg(() => efficiency(94, 24))).toBe('accuracy');
    expect(arg(() => efficiency(0.94, 0))).toBe('params');
    expect(arg(() => efficiency(0.94, 2.5))).toBe('params');
  });
});
