import cliProgress from 'cli-progress';
import { formatDuration } from '../experiments/progress.js';
import type { BatchProgress, EpochRecord } from '../train/trainer.js';

export interface TrainProgress {
  epoch(r: EpochRecord): void;
  batch(p: BatchProgress): void;
  stop(): void;
  /** Seconds between reports within an epoch (the trainer's progressSeconds). */
  readonly batchSeconds: number;
}

/** "batch 12/22, 1.84 s/batch, about 18s left in the epoch". */
export function batchLine(p: BatchProgress): string {
  const per = p.seconds / p.batch;
  return `batch ${p.batch}/${p.batches}, ${per < 10 ? per.toFixed(2) : per.toFixed(0)} s/batch, about ${formatDuration(per * (p.batches - p.batch))} left in the epoch`;
}

/**
 * Progress of `qmoe train` on stderr: a cli-progress bar on a terminal, else a line per epoch
 * (per 10 epochs past 20). Slow epochs also report their batches: on the bar every second, as a
 * line every 10 s (QMOE_PROGRESS_SECONDS sets the interval).
 */
export function trainProgress(epochs: number, label: string): TrainProgress {
  const env = Number(process.env.QMOE_PROGRESS_SECONDS);
  const interval = (tty: boolean) => (process.env.QMOE_PROGRESS_SECONDS !== undefined && env >= 0 ? env : tty ? 1 : 10);
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] epoch {value}/{total} | loss {loss} acc {acc} | val loss {vloss} acc {vacc}{inside}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(epochs, 0, { loss: '-', acc: '-', vloss: '-', vacc: '-', inside: '' });
    return {
      epoch: (r) => bar.update(r.epoch, { loss: r.trainLoss.toFixed(4), acc: r.trainAccuracy.toFixed(3), vloss: r.valLoss.toFixed(4), vacc: r.valAccuracy.toFixed(3), inside: '' }),
      batch: (p) => bar.update({ inside: ` | epoch ${p.epoch}: ${batchLine(p)}` }),
      stop: () => bar.stop(),
      batchSeconds: interval(true),
    };
  }
  const every = epochs <= 20 ? 1 : 10;
  return {
    epoch: (r) => {
      if (r.epoch % every === 0 || r.epoch === 1 || r.epoch === epochs) {
        process.stderr.write(`${label} epoch ${r.epoch}/${epochs} loss ${r.trainLoss.toFixed(4)} acc ${r.trainAccuracy.toFixed(3)} val loss ${r.valLoss.toFixed(4)} acc ${r.valAccuracy.toFixed(3)}\n`);
      }
    },
    batch: (p) => process.stderr.write(`${label} epoch ${p.epoch}/${epochs} ${batchLine(p)}\n`),
    stop: () => {},
    batchSeconds: interval(false),
  };
}
