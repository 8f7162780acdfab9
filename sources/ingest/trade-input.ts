import { cellText, type Parsed } from './parsed.ts';

/** One parsed trade before validation: time in epoch ms; side and id null when the file lacks them. */
export interface TradeInput {
  symbol: string;
  ts: number;
  price: number;
  size: number;
  side: 'BUY' | 'SELL' | null;
  id: number | null;
}

/**
 * The largest trade id: the largest integer avsc writes as an Avro long (its isSafeLong,
 * 2^53 - 2). A larger id, though a safe integer, is rejected `bad-id` (before, it stopped the
 * import with an encoding error).
 */
export const MAX_TRADE_ID = 9_007_199_254_740_990;

/** A parsed row with the line of the file it came from (errors and rejections name it). */
export interface TradeRow {
  lineNo: number;
  parsed: Parsed<TradeInput>;
}

const SIDES: Record<string, 'BUY' | 'SELL'> = { buy: 'BUY', b: 'BUY', buyer: 'BUY', '1': 'BUY', '+1': 'BUY', sell: 'SELL', s: 'SELL', seller: 'SELL', '-1': 'SELL' };
const TRUE = new Set(['true', 't', '1', 'yes', 'y']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n']);

/** A boolean cell (true/false, 1/0, yes/no in any case), null when empty, undefined when not a boolean. */
export function boolCell(cell: unknown): boolean | null | undefined {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === 'boolean') return cell;
  if (typeof cell === 'number' || typeof cell === 'bigint') return Number(cell) === 1 ? true : Number(cell) === 0 ? false : undefined;
  if (typeof cell !== 'string') return undefined;
  const t = cell.trim().toLowerCase();
  if (t === '') return null;
  return TRUE.has(t) ? true : FALSE.has(t) ? false : undefined;
}

/**
 * The aggressor side from a cell: `buy`/`sell` (b/s, buyer/seller, 1/-1) for a side column; for an
 * `is_buyer_maker` column (`makerFlag`), true means the buyer was the resting order, so the seller
 * took liquidity: SELL. null when empty (the tick rule decides), undefined when unreadable.
 */
export function sideCell(cell: unknown, makerFlag: boolean): 'BUY' | 'SELL' | null | undefined {
  if (makerFlag) {
    const b = boolCell(cell);
    return b === null || b === undefined ? b : b ? 'SELL' : 'BUY';
  }
  if (cell === null || cell === undefined) return null;
  const t = cellText(cell).trim().toLowerCase();
  if (t === '') return null;
  return SIDES[t];
}
