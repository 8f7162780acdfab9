import type { Bar } from '../../schemas/index.ts';
import { fillSlippage, markedTradeValue, netTradeReturn } from './trade-costs.ts';

/**
 * Buy-and-hold sleeve of one symbol over its window bars [a, b) (indices into `bars`): buys at bar
 * a's open with entry slippage and fee, is marked at each close, and pays the exit costs at the last
 * window bar's close. Values are aligned with `bars` (1 outside the holding, flat after it).
 */
export function buyAndHoldValues(bars: readonly Bar[], a: number, b: number, fee: number, slippage: number, slippageRange = 0): Float64Array {
  const out = new Float64Array(bars.length).fill(1);
  if (a >= b) return out;
  const entry = (bars[a] as Bar).open;
  const entrySlip = fillSlippage(bars[a] as Bar, slippage, slippageRange);
  const exitSlip = fillSlippage(bars[b - 1] as Bar, slippage, slippageRange);
  for (let j = a; j < bars.length; j++) {
    const close = (bars[Math.min(j, b - 1)] as Bar).close;
    out[j] = j < b - 1 ? markedTradeValue(1, entry, close, fee, entrySlip) : 1 + netTradeReturn(1, entry, close, fee, entrySlip, exitSlip);
  }
  return out;
}
