import type { EpochProgress } from '../train/trainer.js';

/**
 * Progress of a long experiment on stderr: the current model, seed, epoch and an ETA. On a
 * terminal one line is rewritten in place; otherwise (logs, CI) a line is printed per 10 epochs
 * (every epoch for short runs) plus one per finished run.
 */
export interface ProgressSink {
  /** A status line that may be overwritten by the next one. */
  status(line: string): void;
  /** A line that stays. */
  line(line: string): void;
  /** Seconds between reports within a slow epoch (none without it). */
  batchSeconds?: number;
}

/**
 * Seconds between progress reports within a slow epoch: every second on a terminal, every 10 s
 * in a log; QMOE_PROGRESS_SECONDS sets another interval.
 */
export function batchReportSeconds(tty: boolean): number {
  const env = process.env.QMOE_PROGRESS_SECONDS;
  const v = env === undefined || env.trim() === '' ? NaN : Number(env);
  return v >= 0 ? v : tty ? 1 : 10;
}

export function stderrProgress(quiet = false): ProgressSink {
  if (quiet) return { status: () => {}, line: () => {} };
  const tty = process.stderr.isTTY === true;
  let open = false;
  return {
    batchSeconds: batchReportSeconds(tty),
    status(line) {
      if (tty) {
        const width = process.stderr.columns || 120;
        process.stderr.write(`\r${line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length + 8))}`);
        open = true;
      } else {
        process.stderr.write(line + '\n');
      }
    },
    line(line) {
      if (tty && open) process.stderr.write('\r\x1b[2K');
      open = false;
      process.stderr.write(line + '\n');
    },
  };
}

/** "batch 12/22, 1.84 s/batch, about 18s left in the epoch". */
export function batchLine(p: EpochProgress): string {
  const per = p.seconds / p.batch;
  return `batch ${p.batch}/${p.batches}, ${per < 10 ? per.toFixed(2) : per.toFixed(0)} s/batch, about ${formatDuration(per * (p.batches - p.batch))} left in the epoch`;
}

/** 75 -> "1m15s", 3700 -> "1h01m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * ETA from seconds per epoch measured per kind of run (e.g. per router): the remaining epochs of
 * each kind times its rate, or the mean rate of the kinds measured when a kind has none yet.
 * An upper bound when runs can stop early.
 */
export class EtaClock {
  private readonly rates = new Map<string, { seconds: number; epochs: number }>();

  record(kind: string, seconds: number, epochs: number): void {
    if (!(epochs > 0) || !(seconds >= 0)) return;
    const r = this.rates.get(kind) ?? { seconds: 0, epochs: 0 };
    r.seconds += seconds;
    r.epochs += epochs;
    this.rates.set(kind, r);
  }

  rate(kind: string): number | undefined {
    const r = this.rates.get(kind);
    if (r && r.epochs > 0) return r.seconds / r.epochs;
    if (this.rates.size === 0) return undefined;
    let s = 0;
    for (const v of this.rates.values()) s += v.seconds / v.epochs;
    return s / this.rates.size;
  }

  /** Seconds for `remaining` epochs per kind; undefined while nothing has been measured. */
  estimate(remaining: Map<string, number>): number | undefined {
    let total = 0;
    for (const [kind, epochs] of remaining) {
      if (epochs <= 0) continue;
      const r = this.rate(kind);
      if (r === undefined) return undefined;
      total += r * epochs;
    }
    return total;
  }
}
