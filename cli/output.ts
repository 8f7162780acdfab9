import { TickflowError } from '../lib/errors.ts';
import { createLogger, defaultLogFormat, type LogFormat, type Logger } from '../lib/log.ts';
import type { ProgressStream } from '../model/progress.ts';
import type { Bar, Signal } from '../schemas/index.ts';

/**
 * The CLI contract: human progress on stderr, exactly one JSON object on stdout. Numbers are
 * printed with JSON.stringify so they round-trip.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

let logger: Logger | null = null;
let format: LogFormat = defaultLogFormat();

/**
 * The CLI's one logger (lib/log.ts), created at the edge by cli/main.ts with the global
 * --log-format; commands pass it (or a child) down to hosts, sources and sinks as `logger`.
 */
export function cliLogger(): Logger {
  return (logger ??= createLogger());
}

export function setCliLogger(l: Logger, f: LogFormat = 'json'): void {
  logger = l;
  format = f;
}

/**
 * Where a ProgressBar draws: stderr itself when people read it (pretty logs on a terminal), else
 * one log record per tenth done (`event: 'progress'`), so stderr stays JSON lines.
 */
export function progressStream(): ProgressStream {
  if (format === 'pretty' && process.stderr.isTTY) return process.stderr;
  return { isTTY: false, write: (chunk: string) => cliLogger().info({ event: 'progress' }, chunk.trimEnd()) };
}

/** A progress line for people, through the CLI's logger to stderr (credentials redacted there). */
export function info(message: string): void {
  cliLogger().info(message);
}

/**
 * A price or volume for people: at most 12 significant digits, so the noise of binary floating
 * point goes (51.63499999999999 -> 51.635, 0.1 + 0.2 -> 0.3) while every real digit stays.
 */
export function formatQuantity(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(12))) : String(x);
}

/** A duration for people: 30m, 6h, 1d, 90s. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Market time to the second, without the date's noise: 2026-01-05 10:35:00Z. */
const stamp = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');

export interface SignalContext {
  /** The close of the bar the signal was computed at (the price it refers to). */
  price?: number | undefined;
  /** How far ahead the model predicts (the label horizon of its manifest). */
  horizonMs?: number | undefined;
  /** Wall-clock time the line is printed at; shown when it differs from market time by a second or more. */
  wallTime?: number | undefined;
}

const CLASSES = ['up', 'flat', 'down'] as const;

/**
 * One signal as a line for people watching a live run: market time (and wall time when they
 * differ), symbol, price, action, the probability of the chosen direction and the horizon. A
 * HOLD names the most likely class with its probability and why there is no trade (the signal
 * rule found no edge between up and down), never P(flat) as if it were a confidence.
 */
export function formatSignal(s: Signal, ctx: SignalContext = {}): string {
  const when = ctx.wallTime !== undefined && Math.abs(ctx.wallTime - s.barEnd) >= 1_000 ? `${stamp(s.barEnd)} (wall ${new Date(ctx.wallTime).toISOString().slice(11, 19)}Z)` : stamp(s.barEnd);
  const price = ctx.price !== undefined ? ` @ ${formatQuantity(ctx.price)}` : '';
  const over = ctx.horizonMs !== undefined ? ` over the next ${formatDuration(ctx.horizonMs)}` : '';
  const probs = `P(up/flat/down) ${s.pUp.toFixed(3)}/${s.pFlat.toFixed(3)}/${s.pDown.toFixed(3)}`;
  let call: string;
  // The decision policy's size and exit levels, when the model has one.
  const plan = s.size !== undefined && s.size !== null && s.action !== 'HOLD' ? `, size ${s.size.toFixed(2)}${s.stop != null ? ` stop ${formatQuantity(s.stop)}` : ''}${s.target != null ? ` target ${formatQuantity(s.target)}` : ''}` : '';
  if (s.action === 'BUY') call = `BUY   P(up) ${s.pUp.toFixed(3)}${over}${plan}`;
  else if (s.action === 'SELL') call = `SELL  P(down) ${s.pDown.toFixed(3)}${over}${plan}`;
  else {
    const p = [s.pUp, s.pFlat, s.pDown];
    // argmax, lowest index on ties (up, flat, down)
    const top = p.reduce((best, x, i) => (x > (p[best] as number) ? i : best), 0);
    call = `HOLD  most likely ${CLASSES[top]} ${(p[top] as number).toFixed(3)}${over}; no trade: ${s.reason ?? 'neither up nor down clears the signal rule'}`;
  }
  // A confluence signal: each timeframe's log-odds ln(pUp/pDown), * when it agrees, - without a view.
  const tfs = s.timeframes !== undefined && s.timeframes.length > 0 ? `  [${s.timeframes.map((t) => `${t.interval} ${t.logOdds === null ? '-' : `${t.logOdds >= 0 ? '+' : ''}${t.logOdds.toFixed(2)}`}${t.agrees ? '*' : ''}`).join(', ')}]` : '';
  return `${when} ${s.symbol.padEnd(5)}${price} ${call}  (${probs})${tfs}`;
}

/**
 * Keeps the close of each symbol's bar at the signals' interval, so a signal line can show the
 * price it was computed at (bars come out of the graph before the signal of the same close).
 */
export class SignalLines {
  private readonly closes = new Map<string, { end: number; close: number }>();

  constructor(private readonly horizonMs: number | undefined) {}

  bar(b: Bar): void {
    this.closes.set(`${b.symbol}|${b.interval}`, { end: b.end, close: b.close });
  }

  format(s: Signal, wallTime?: number): string {
    const c = this.closes.get(`${s.symbol}|${s.interval}`);
    return formatSignal(s, { price: c !== undefined && c.end === s.barEnd ? c.close : undefined, horizonMs: this.horizonMs, wallTime });
  }
}

/** The label horizon of a loaded model (its manifest), when the predictor has one. */
export function horizonOf(predictor: object | null): number | undefined {
  const m = (predictor as { manifest?: { split?: { horizonMs?: unknown } } } | null)?.manifest;
  return typeof m?.split?.horizonMs === 'number' ? m.split.horizonMs : undefined;
}

/** A user error: printed without a stack trace, exit code 2. */
export class UsageError extends TickflowError {}
