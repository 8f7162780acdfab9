import type { TradeInput, TradeRow } from './trade-input.ts';

/** TradeBatch.side: no side in the file (the tick rule decides), BUY, SELL. */
export const SIDE_NONE = 0;
export const SIDE_BUY = 1;
export const SIDE_SELL = 2;

/**
 * Parsed trade rows column by column: the same content as TradeRow[] (trade-input.ts) without an
 * object per row, for the importer's hot path. A row with a `reason` was rejected by the parser
 * (its other columns are meaningless); `id` NaN means the file has no id. One batch is filled per
 * chunk of the file and reused: its rows are valid until the producer's next batch.
 */
export class TradeBatch {
  length = 0;
  lineNo: Float64Array;
  ts: Float64Array;
  price: Float64Array;
  size: Float64Array;
  id: Float64Array;
  side: Uint8Array;
  symbol: string[] = [];
  reason: (string | null)[] = [];

  constructor(capacity = 4096) {
    this.lineNo = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.id = new Float64Array(capacity);
    this.side = new Uint8Array(capacity);
  }

  clear(): void {
    this.length = 0;
  }

  /** Appends a row the parser accepted. */
  push(lineNo: number, symbol: string, ts: number, price: number, size: number, side: number, id: number): void {
    const i = this.slot();
    this.lineNo[i] = lineNo;
    this.symbol[i] = symbol;
    this.ts[i] = ts;
    this.price[i] = price;
    this.size[i] = size;
    this.side[i] = side;
    this.id[i] = id;
    this.reason[i] = null;
  }

  /** Appends a row the parser rejected. */
  pushRejected(lineNo: number, reason: string): void {
    const i = this.slot();
    this.lineNo[i] = lineNo;
    this.reason[i] = reason;
  }

  /** Appends a parsed row in the object form (other parsers, the slow path). */
  pushRow(row: TradeRow): void {
    if (!row.parsed.ok) {
      this.pushRejected(row.lineNo, row.parsed.reason);
      return;
    }
    const t = row.parsed.value;
    this.push(row.lineNo, t.symbol, t.ts, t.price, t.size, t.side === null ? SIDE_NONE : t.side === 'BUY' ? SIDE_BUY : SIDE_SELL, t.id ?? Number.NaN);
  }

  /** Row i as a TradeInput (for the rare row that must outlive the batch). */
  input(i: number): TradeInput {
    const side = this.side[i];
    const id = this.id[i]!;
    return {
      symbol: this.symbol[i]!, ts: this.ts[i]!, price: this.price[i]!, size: this.size[i]!,
      side: side === SIDE_BUY ? 'BUY' : side === SIDE_SELL ? 'SELL' : null,
      id: Number.isNaN(id) ? null : id,
    };
  }

  private slot(): number {
    const i = this.length++;
    if (i >= this.ts.length) this.grow();
    return i;
  }

  private grow(): void {
    const n = this.ts.length * 2;
    const more = <A extends Float64Array | Uint8Array>(a: A, make: (n: number) => A): A => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.lineNo = more(this.lineNo, (k) => new Float64Array(k));
    this.ts = more(this.ts, (k) => new Float64Array(k));
    this.price = more(this.price, (k) => new Float64Array(k));
    this.size = more(this.size, (k) => new Float64Array(k));
    this.id = more(this.id, (k) => new Float64Array(k));
    this.side = more(this.side, (k) => new Uint8Array(k));
  }
}
