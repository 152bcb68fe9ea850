import cliProgress from 'cli-progress';
import { batchLine, batchReportSeconds } from '../experiments/progress.js';
import type { EpochProgress, EpochRecord } from '../train/trainer.js';

export interface TrainProgress {
  epoch(r: EpochRecord): void;
  batch(p: EpochProgress): void;
  stop(): void;
  /** Seconds between reports within an epoch (the trainer's progressSeconds). */
  readonly batchSeconds: number;
}

/**
 * Progress of `qmoe train` on stderr: a cli-progress bar on a terminal, else a line per epoch
 * (per 10 epochs past 20). Slow epochs also report their batches: on the bar every second, as a
 * line every 10 s (QMOE_PROGRESS_SECONDS sets the interval).
 */
export function trainProgress(epochs: number, label: string): TrainProgress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] epoch {value}/{total} | loss {loss} acc {acc} | val loss {vloss} acc {vacc} | {rps} rows/s{inside}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(epochs, 0, { loss: '-', acc: '-', vloss: '-', vacc: '-', rps: '-', inside: '' });
    return {
      epoch: (r) => bar.update(r.epoch, { loss: r.trainLoss.toFixed(4), acc: r.trainAccuracy.toFixed(3), vloss: r.valLoss.toFixed(4), vacc: r.valAccuracy.toFixed(3), rps: Math.round(r.rowsPerSecond), inside: '' }),
      batch: (p) => bar.update({ inside: ` | epoch ${p.epoch}: ${batchLine(p)}` }),
      stop: () => bar.stop(),
      batchSeconds: batchReportSeconds(true),
    };
  }
  const every = epochs <= 20 ? 1 : 10;
  return {
    epoch: (r) => {
      if (r.epoch % every === 0 || r.epoch === 1 || r.epoch === epochs) {
        process.stderr.write(`${label} epoch ${r.epoch}/${epochs} loss ${r.trainLoss.toFixed(4)} acc ${r.trainAccuracy.toFixed(3)} val loss ${r.valLoss.toFixed(4)} acc ${r.valAccuracy.toFixed(3)} ${r.seconds.toFixed(2)} s ${Math.round(r.rowsPerSecond)} rows/s\n`);
      }
    },
    batch: (p) => process.stderr.write(`${label} epoch ${p.epoch}/${epochs} ${batchLine(p)}\n`),
    stop: () => {},
    batchSeconds: batchReportSeconds(false),
  };
}
