/** The summary the ingest command prints; field names are part of the CLI contract. */
export interface IngestSummary {
  format: string;
  /** What accepted/rejected/stale count: candles, or whole option-chain snapshots. */
  unit: 'candle' | 'snapshot' | 'trade';
  accepted: number;
  rejected: number;
  reasons: Record<string, number>;
  symbols: string[];
  /** Smallest / largest tsEvent among accepted events; null when none. */
  firstTs: number | null;
  lastTs: number | null;
  /** Candles: missing in-session intervals between consecutive candles of a symbol (never filled); chains: in-session slots with no usable snapshot. */
  gaps: number;
  /** Holes (runs of missing intervals or slots). */
  gapRuns: number;
  /** Per reason, the first line of the file rejected for it (trades). */
  firstRejectedLine?: Record<string, number>;
  /** Snapshots whose raw fields repeat the underlying's previous one: counted, not appended. */
  stale: number;
  [extra: string]: unknown;
}

export class IngestStats {
  accepted = 0;
  rejected = 0;
  gaps = 0;
  gapRuns = 0;
  stale = 0;
  readonly reasons = new Map<string, number>();
  private readonly symbols = new Set<string>();
  /** The symbol of the previous accept (already in `symbols`). */
  private lastSymbol: string | null = null;
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;

  /** First line of the file rejected for each reason, where the importer knows lines. */
  readonly firstLines = new Map<string, number>();

  reject(reason: string, n = 1, lineNo?: number): void {
    this.rejected += n;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + n);
    if (lineNo !== undefined && !this.firstLines.has(reason)) this.firstLines.set(reason, lineNo);
  }

  accept(symbol: string, ts: number): void {
    this.accepted++;
    if (symbol !== this.lastSymbol) {
      this.symbols.add(symbol);
      this.lastSymbol = symbol;
    }
    if (ts < this.first) this.first = ts;
    if (ts > this.last) this.last = ts;
  }

  summary(format: string, unit: 'candle' | 'snapshot' | 'trade', extra: Record<string, unknown> = {}): IngestSummary {
    const reasons: Record<string, number> = {};
    for (const k of [...this.reasons.keys()].sort()) reasons[k] = this.reasons.get(k) ?? 0;
    const lines: Record<string, number> = {};
    for (const k of [...this.firstLines.keys()].sort()) lines[k] = this.firstLines.get(k) ?? 0;
    return {
      format, unit, accepted: this.accepted, rejected: this.rejected, reasons,
      symbols: [...this.symbols].sort(),
      firstTs: this.accepted > 0 ? this.first : null,
      lastTs: this.accepted > 0 ? this.last : null,
      gaps: this.gaps, gapRuns: this.gapRuns, stale: this.stale,
      ...(this.firstLines.size > 0 ? { firstRejectedLine: lines } : {}),
      ...extra,
    };
  }
}
