import { BINANCE_TRADE_LAYOUTS, type BinanceTradeLayout } from './binance-trades.ts';
import { epochToMs } from './parse-time.ts';
import { SIDE_BUY, SIDE_SELL, type TradeBatch } from './trade-batch.ts';
import { MAX_TRADE_ID } from './trade-input.ts';

const COMMA = 0x2c;
const DOT = 0x2e;
const CR = 0x0d;
const ZERO = 0x30;
const NINE = 0x39;
const QUOTE = 0x22;
/** Integers up to this are exact doubles however they are accumulated. */
const EXACT = 2 ** 53;
/** 10^k for k <= 22 is an exact double (10^22 < 2^53 * 2^22). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

const enum Col { Skip, Id, Price, Size, Time, Maker }

/** What each column of a layout is, for the byte parser. */
function columnKinds(layoutName: BinanceTradeLayout): Col[] {
  const l = BINANCE_TRADE_LAYOUTS[layoutName];
  return l.columns.map((_, i) => (i === l.id ? Col.Id : i === l.price ? Col.Price : i === l.size ? Col.Size : i === l.time ? Col.Time : i === l.maker ? Col.Maker : Col.Skip));
}

/**
 * Parses a Binance trade line straight from its bytes into `out`, or returns false and leaves
 * `out` unchanged, and then the caller reads the line the general way (decode, split, trim,
 * parseBinanceTrade). It takes only the plain form every Binance file uses, where it gives
 * exactly what the general way gives:
 * - id and time: ASCII digits only, below 2^53 (Number() of such digits is the same integer),
 *   the id at most MAX_TRADE_ID;
 *   time > 0 (else the general way rejects it);
 * - price and size: `digits[.digits]` with at most 15-16 significant digits (the whole digit
 *   string read as an integer below 2^53) and at most 22 after the point: the integer divided by
 *   10^k is then the correctly rounded double, as Number() gives (both operands are exact and
 *   IEEE division rounds correctly: Clinger's fast path);
 * - is_buyer_maker exactly `true` or `false`;
 * - the layout's column count or one fewer (the last column optional, as the general way
 *   accepts), the other columns anything without a comma or a quote; one trailing CR.
 * Anything else (spaces, signs, exponents, quotes, other spellings, longer numbers, empty cells)
 * goes the general way, which also names the reason of a rejected row.
 */
export function tradeLineParser(layoutName: BinanceTradeLayout): (buf: Uint8Array, start: number, end: number, lineNo: number, symbol: string, out: TradeBatch) => boolean {
  const kinds = columnKinds(layoutName);
  const columns = kinds.length;
  return (buf, start, end, lineNo, symbol, out) => {
    if (end > start && buf[end - 1] === CR) end--;
    let p = start;
    let id = 0;
    let ts = 0;
    let price = 0;
    let size = 0;
    let side = 0;
    let col = 0;
    for (;;) {
      const kind = kinds[col];
      if (kind === Col.Skip || kind === undefined) {
        // Not read; only its end matters (and no quote, which would change the split).
        while (p < end) {
          const b = buf[p]!;
          if (b === COMMA) break;
          if (b === QUOTE) return false;
          p++;
        }
      } else if (kind === Col.Maker) {
        // `true` or `false`, then the end of the cell.
        if (p + 4 <= end && buf[p] === 0x74 && buf[p + 1] === 0x72 && buf[p + 2] === 0x75 && buf[p + 3] === 0x65) {
          side = SIDE_SELL; // the buyer was the maker: the seller took liquidity
          p += 4;
        } else if (p + 5 <= end && buf[p] === 0x66 && buf[p + 1] === 0x61 && buf[p + 2] === 0x6c && buf[p + 3] === 0x73 && buf[p + 4] === 0x65) {
          side = SIDE_BUY;
          p += 5;
        } else return false;
        if (p < end && buf[p] !== COMMA) return false;
      } else {
        // Digits, and for price and size an optional point and more digits.
        let n = 0;
        let digits = 0;
        while (p < end) {
          const b = buf[p]!;
          if (b < ZERO || b > NINE) break;
          n = n * 10 + (b - ZERO);
          digits++;
          p++;
        }
        if (digits === 0 || n >= EXACT) return false;
        let value = n;
        if (p < end && buf[p] === DOT) {
          if (kind !== Col.Price && kind !== Col.Size) return false;
          p++;
          let frac = 0;
          while (p < end) {
            const b = buf[p]!;
            if (b < ZERO || b > NINE) break;
            n = n * 10 + (b - ZERO);
            frac++;
            p++;
          }
          if (frac === 0 || frac > 22 || n >= EXACT) return false;
          value = n / POW10[frac]!;
        }
        if (p < end && buf[p] !== COMMA) return false;
        if (kind === Col.Id) {
          if (value > MAX_TRADE_ID) return false;
          id = value;
        }
        else if (kind === Col.Time) ts = value;
        else if (kind === Col.Price) price = value;
        else size = value;
      }
      col++;
      if (p >= end) break;
      p++; // the comma
      if (col >= columns) return false;
    }
    // Every column read, or all but the optional last one; a zero time is the general way's
    // `unparseable-time`.
    if (col < columns - 1 || ts <= 0) return false;
    out.push(lineNo, symbol, epochToMs(ts), price, size, side, id);
    return true;
  };
}
