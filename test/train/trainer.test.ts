import { describe, expect, it } from 'vitest';
import { makeSpec } from '../../src/moe/models.js';
import type { ModelSpec } from '../../src/moe/spec.js';
import type { EngineStats, Split, TrainingData, TrainingEngine } from '../../src/train/engine.js';
import { train } from '../../src/train/trainer.js';
import { QmoeInputError } from '../../src/errors.js';

/**
 * A scripted engine: the "parameter" is the number of epochs completed, the validation loss of
 * epoch e is valLosses[e - 1]. Records every batch.
 */
class ScriptedEngine implements TrainingEngine {
  readonly kind = 'cpu' as const;
  readonly spec: ModelSpec = makeSpec({ router: 'linear' });
  batches: number[][] = [];
  epoch = 0;
  setCalls: number[] = [];
  private p = 0;
  private stepped = 0;
  constructor(private valLosses: number[]) {}
  async load(_split: Split, _data: TrainingData): Promise<void> {}
  async setParams(params: Float64Array): Promise<void> {
    this.p = params[0];
    this.setCalls.push(params[0]);
  }
  async getParams(): Promise<Float64Array> {
    return Float64Array.of(this.p);
  }
  private best = 0;
  async keepBest(): Promise<void> {
    this.best = this.p;
  }
  async restoreBest(): Promise<void> {
    await this.setParams(Float64Array.of(this.best));
  }
  step(rows: Int32Array): void {
    this.batches.push(Array.from(rows));
    this.stepped += rows.length;
  }
  async epochStats(): Promise<EngineStats> {
    this.epoch++;
    this.p = this.epoch;
    const s = { loss: 1 / this.epoch, accuracy: this.stepped };
    this.stepped = 0;
    return s;
  }
  async evaluate(_split: Split): Promise<EngineStats> {
    return { loss: this.valLosses[this.epoch - 1], accuracy: 0.5 };
  }
  async predict(): Promise<Float64Array> {
    return new Float64Array(0);
  }
  dispose(): void {}
}

const data = (rows: number): TrainingData => ({ x: new Float64Array(rows * 2), y: new Int32Array(rows), rows, features: 2, classes: 2 });

describe('train', () => {
  it('stops after `patience` epochs without improvement and restores the best parameters', async () => {
    const engine = new ScriptedEngine([1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.5, 0.4]);
    const seen: number[] = [];
    const r = await train(engine, { train: data(10), validation: data(4) }, { epochs: 100, batch: 4, patience: 3, seed: 5, onEpoch: (rec) => seen.push(rec.epoch) });
    expect(r.epochsRun).toBe(6);
    expect(r.bestEpoch).toBe(3);
    expect(r.stoppedEarly).toBe(true);
    expect(Array.from(r.params)).toEqual([3]);
    expect(engine.setCalls.at(-1)).toBe(3);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.history.map((h) => h.valLoss)).toEqual([1.0, 0.8, 0.7, 0.75, 0.72, 0.71]);
    // Batches of 4, 4, 2 covering every row once per epoch, shuffled differently per epoch.
    expect(engine.batches.map((b) => b.length).slice(0, 6)).toEqual([4, 4, 2, 4, 4, 2]);
    const e1 = engine.batches.slice(0, 3).flat();
    const e2 = engine.batches.slice(3, 6).flat();
    expect([...e1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...e2].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e1).not.toEqual(e2);
    expect(r.history[0].trainAccuracy).toBe(10); // the scripted engine reports rows stepped
    // Progress per epoch: its wall time and the training rows per second.
    for (const h of r.history) {
      expect(h.seconds).toBeGreaterThanOrEqual(0);
      expect(h.rowsPerSecond).toBeGreaterThan(0);
    }
  });

  it('minDelta: improvements smaller than it do not count', async () => {
    const engine = new ScriptedEngine([1.0, 0.95, 0.91, 0.5]);
    const r = await train(engine, { train: data(3), validation: data(3) }, { epochs: 10, patience: 2, minDelta: 0.1 });
    expect(r.bestEpoch).toBe(1);
    expect(r.epochsRun).toBe(3);
  });

  it('runs every epoch without early stopping when patience is 0, and the shuffles are seeded', async () => {
    const a = new ScriptedEngine(Array(5).fill(1));
    const ra = await train(a, { train: data(7), validation: data(2) }, { epochs: 5, patience: 0, batch: 3, seed: 9 });
    expect(ra.epochsRun).toBe(5);
    expect(ra.stoppedEarly).toBe(false);
    expect(ra.bestEpoch).toBe(1);
    const b = new ScriptedEngine(Array(5).fill(1));
    await train(b, { train: data(7), validation: data(2) }, { epochs: 5, patience: 0, batch: 3, seed: 9 });
    expect(b.batches).toEqual(a.batches);
  });

  it('reports every batch and stops within one batch when asked, keeping the best full epoch', async () => {
    const engine = new ScriptedEngine([1.0, 0.8, 0.9, 0.9]);
    const seen: string[] = [];
    let stop = false;
    const r = await train(engine, { train: data(10), validation: data(4) }, {
      epochs: 4,
      batch: 4,
      patience: 0,
      onBatch: (at) => {
        seen.push(`${at.epoch}:${at.batch}/${at.batches}:${at.rows}`);
        if (at.epoch === 3 && at.batch === 1) stop = true;
      },
      stopRequested: () => stop,
    });
    expect(seen).toEqual(['1:1/3:4', '1:2/3:8', '1:3/3:10', '2:1/3:4', '2:2/3:8', '2:3/3:10', '3:1/3:4']);
    expect(r.stoppedByRequest).toBe(true);
    expect(r.epochsRun).toBe(2); // epoch 3 stopped after its first batch: not in the history
    expect(engine.batches.length).toBe(7);
    expect(r.bestEpoch).toBe(2);
    expect(Array.from(r.params)).toEqual([2]);
  });

  it('rejects impossible settings', async () => {
    const e = new ScriptedEngine([1]);
    await expect(train(e, { train: data(3), validation: data(3) }, { epochs: 0 })).rejects.toThrow(QmoeInputError);
    await expect(train(e, { train: data(3), validation: data(3) }, { batch: 0 })).rejects.toThrow(/--batch/);
  });
});
