import type { Logger } from '../../lib/log.ts';
import { INPUT_TOPICS } from '../merged-reader.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { topicSize } from '../../storage/log/topic-size.ts';

export interface ReplayProgressOptions {
  /** Where the lines go (the CLI's logger; a part given none stays silent). */
  logger: Logger;
  /** What is being replayed, the start of each line: `verify: replay 1 of 2`, `catch-up`. */
  label: string;
  /** Inputs the replay will read (the input topics' sizes), 0 when unknown. */
  total: number;
  /** At most one line per this many milliseconds of wall time; default 5,000. */
  everyMs?: number;
  /** Wall clock in ms (tests pass a fake); default performance.now. */
  now?: () => number;
}

/** How often a replay host calls `update` (inputs): small enough that a slow replay still reports on time. */
export const PROGRESS_EVERY_INPUTS = 10_000;

/**
 * Progress of a long replay for people and log collectors: every `everyMs` of wall time one
 * `event: 'progress'` record through the logger, with inputs done / total, the rate since the
 * start and the time left at that rate, and one closing record from `finish`. A ProgressBar
 * draws per tenth done; this reports by time, so a replay that crawls on a busy machine is
 * never silent for long. Wall time only measures the host here: it never reaches the graph.
 */
export class ReplayProgress {
  private readonly now: () => number;
  private readonly everyMs: number;
  private readonly t0: number;
  private last: number;

  constructor(private readonly opts: ReplayProgressOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.everyMs = opts.everyMs ?? 5_000;
    this.t0 = this.now();
    this.last = this.t0;
  }

  /** Reports `inputs` done if `everyMs` has passed since the last line. */
  update(inputs: number): void {
    const t = this.now();
    if (t - this.last < this.everyMs) return;
    this.last = t;
    this.line(inputs, t, false);
  }

  /** The closing line: inputs done and the mean rate. */
  finish(inputs: number): void {
    this.line(inputs, this.now(), true);
  }

  private line(inputs: number, t: number, done: boolean): void {
    const { total, label, logger } = this.opts;
    const seconds = (t - this.t0) / 1000;
    const rate = seconds > 0 ? Math.round(inputs / seconds) : null;
    const left = !done && rate !== null && rate > 0 && total > inputs ? Math.ceil((total - inputs) / rate) : null;
    const of = total > 0 ? ` of ${total.toLocaleString('en-US')} inputs (${Math.min(100, (100 * inputs) / total).toFixed(1)} %)` : ' inputs';
    const msg = done
      ? `${label}: done, ${inputs.toLocaleString('en-US')} inputs in ${seconds.toFixed(1)} s${rate !== null ? `, ${rate.toLocaleString('en-US')} inputs/s` : ''}`
      : `${label}: ${inputs.toLocaleString('en-US')}${of}, ${rate?.toLocaleString('en-US') ?? '?'} inputs/s${left !== null ? `, about ${left} s left` : ''}`;
    logger.info({ event: 'progress', phase: label, inputs, total, inputsPerSec: rate, secondsLeft: left, done }, msg);
  }
}

/** Inputs a replay of the whole log reads: the records of the input topics. */
export async function replayTotal(log: EventLog): Promise<number> {
  let n = 0;
  for (const t of INPUT_TOPICS) if ((await log.topics()).includes(t)) n += await topicSize(log, t);
  return n;
}
