/**
 * Trade arithmetic with costs. A trade puts capital 1 at risk: it buys (LONG) or sells short
 * (SHORT) notional 1 at the entry fill. Fills move against the trader by the slippage fraction s:
 *   entry fill = entry * (1 + dir * s),  exit fill = exit * (1 - dir * s),  dir = +1 LONG, -1 SHORT.
 * The fee fraction f is charged on the notional of each side: 1 at entry, exitFill / entryFill at
 * exit. So, with x = exitFill / entryFill:
 *   netReturn = dir * (x - 1) - f * (1 + x)
 * which is exact for both directions (a short's P&L is 1 - x before fees).
 */
export function direction(side: 'LONG' | 'SHORT'): 1 | -1 {
  return side === 'LONG' ? 1 : -1;
}

export function entryFill(dir: 1 | -1, price: number, slippage: number): number {
  return price * (1 + dir * slippage);
}

export function exitFill(dir: 1 | -1, price: number, slippage: number): number {
  return price * (1 - dir * slippage);
}

/**
 * Realized return of a closed trade; `fee` and `slippage` are fractions (bps / 10_000);
 * `exitSlippage` (default: the same) when the exit fill slips by another amount.
 */
export function netTradeReturn(
  dir: 1 | -1,
  entryPrice: number,
  exitPrice: number,
  fee: number,
  slippage: number,
  exitSlippage = slippage,
): number {
  const x = exitFill(dir, exitPrice, exitSlippage) / entryFill(dir, entryPrice, slippage);
  return dir * (x - 1) - fee * (1 + x);
}

/**
 * Open trade's value per unit of capital at market price `mark`: entry slippage and entry fee are
 * paid, the exit ones are not (they are charged when the trade really exits).
 */
export function markedTradeValue(
  dir: 1 | -1,
  entryPrice: number,
  mark: number,
  fee: number,
  slippage: number,
): number {
  return 1 + dir * (mark / entryFill(dir, entryPrice, slippage) - 1) - fee;
}

/**
 * Slippage fraction of a fill on `bar`: the fixed part plus `rangeFraction` of the bar's range
 * relative to its open ((high - low) / open), so wide bars cost more to trade.
 */
export function fillSlippage(bar: { open: number; high: number; low: number }, fixed: number, rangeFraction: number): number {
  if (rangeFraction === 0) return fixed;
  const range = bar.high - bar.low;
  return fixed + (Number.isFinite(range) && range > 0 ? (rangeFraction * range) / bar.open : 0);
}
