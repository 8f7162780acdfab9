/** Where a ProgressBar writes: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Text before the bar (an update's label replaces it). */
  label?: string;
  /** Minimum time between TTY redraws (default 100 ms). */
  minIntervalMs?: number;
  /** Bar width in characters (default 24). */
  width?: number;
  /** Clock in ms (default performance.now); injectable for tests. */
  now?: () => number;
}

/** 4500 -> "4.5s", 185000 -> "3m05s", 3720000 -> "1h02m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--';
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * A generic progress bar with an ETA (elapsed / done x remaining). On a TTY it redraws one line
 * in place, at most every minIntervalMs; elsewhere (CI logs, pipes) it prints a line at each 10 %.
 */
export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly minIntervalMs: number;
  private readonly width: number;
  private readonly now: () => number;
  private readonly start: number;
  private label: string;
  private lastDraw = -Infinity;
  private lastDecile = 0;
  private done = 0;
  private total = 0;
  private finished = false;

  constructor(options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.width = options.width ?? 24;
    this.now = options.now ?? (() => performance.now());
    this.label = options.label ?? '';
    this.start = this.now();
  }

  update(done: number, total: number, label?: string): void {
    if (this.finished) return;
    this.done = Math.max(0, Math.min(done, total));
    this.total = total;
    if (label !== undefined) this.label = label;
    const t = this.now();
    if (this.stream.isTTY) {
      if (t - this.lastDraw < this.minIntervalMs && this.done < total) return;
      this.lastDraw = t;
      this.stream.write(`\r\x1b[2K${this.fit(this.line(t))}`);
    } else {
      const decile = total > 0 ? Math.floor((this.done / total) * 10) : 0;
      if (decile <= this.lastDecile) return;
      this.lastDecile = decile;
      this.stream.write(`${this.line(t)}\n`);
    }
  }

  /** Final line with the elapsed time; later updates are ignored. */
  finish(label?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.done = this.total; // finished means all of it, even if the last update was a few steps short
    if (label !== undefined) this.label = label;
    const elapsed = formatDuration(this.now() - this.start);
    const count = this.total > 0 ? ` ${this.done}/${this.total}` : '';
    const text = `${this.label ? `${this.label} ` : ''}done${count} in ${elapsed}`;
    this.stream.write(this.stream.isTTY ? `\r\x1b[2K${this.fit(text)}\n` : `${text}\n`);
  }

  private line(t: number): string {
    const frac = this.total > 0 ? this.done / this.total : 0;
    const filled = Math.round(frac * this.width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}]`;
    const eta = this.done > 0 ? ((t - this.start) / this.done) * (this.total - this.done) : Number.NaN;
    const pct = `${(frac * 100).toFixed(1)}%`.padStart(6);
    return `${this.label ? `${this.label} ` : ''}${bar} ${pct} ${this.done}/${this.total} ETA ${formatDuration(eta)}`;
  }

  /** Keeps a TTY line narrower than the terminal, so \r redraws never wrap. */
  private fit(text: string): string {
    const cols = this.stream.columns;
    return cols !== undefined && cols > 1 && text.length >= cols ? text.slice(0, cols - 1) : text;
  }
}
