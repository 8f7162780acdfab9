import type { Bar } from '../../schemas/index.ts';
import { Rng } from '../../processors/math/rng.ts';
import type { RandomEntryBaseline, Side } from './backtest-report.ts';
import { direction, fillSlippage, netTradeReturn } from './trade-costs.ts';

export interface SymbolTrades {
  bars: readonly Bar[];
  /** Window bars are [a, b). */
  a: number;
  b: number;
  /** The strategy's trades of this symbol: side, bars held and the fraction of the sleeve put in. */
  trades: readonly { side: Side; bars: number; size: number }[];
}

/**
 * Random-entry baseline: each draw keeps every symbol's trades (their number, sides, sizes and
 * holding times), shuffles their order and places them at uniformly random, non-overlapping positions in
 * the symbol's window bars (a random composition of the free bars into gaps). A placed trade enters
 * at its first bar's open and exits at its last bar's close with the same costs; sleeves compound
 * their trades and the draw's return is the mean sleeve's, as the strategy's is.
 * Deterministic: one seeded generator, symbols in the given order, draws in order.
 */
export function randomEntryBaseline(
  symbols: readonly SymbolTrades[],
  strategyReturn: number,
  opts: { draws: number; seed: number; fee: number; slippage: number; slippageRange?: number },
): RandomEntryBaseline {
  const tradeCount = symbols.reduce((n, s) => n + s.trades.length, 0);
  if (opts.draws === 0 || tradeCount === 0 || symbols.length === 0) {
    return { draws: 0, seed: opts.seed, mean: null, sd: null, pValue: null, returns: [] };
  }
  const rng = new Rng(opts.seed);
  const returns: number[] = [];
  for (let d = 0; d < opts.draws; d++) {
    let sum = 0;
    for (const s of symbols) sum += drawSleeve(s, rng, opts.fee, opts.slippage, opts.slippageRange ?? 0);
    returns.push(sum / symbols.length - 1);
  }
  let total = 0;
  let atLeast = 0;
  for (const r of returns) {
    total += r;
    if (r >= strategyReturn) atLeast++;
  }
  const mean = total / returns.length;
  let sq = 0;
  for (const r of returns) sq += (r - mean) * (r - mean);
  const sd = returns.length > 1 ? Math.sqrt(sq / (returns.length - 1)) : 0;
  return { draws: returns.length, seed: opts.seed, mean, sd, pValue: (1 + atLeast) / (1 + returns.length), returns };
}

/** One draw of one sleeve: its final equity (starting at 1). */
function drawSleeve(s: SymbolTrades, rng: Rng, fee: number, slippage: number, slippageRange: number): number {
  const k = s.trades.length;
  if (k === 0) return 1;
  const order = s.trades.map((t) => t);
  for (let i = k - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = order[i] as (typeof order)[number];
    order[i] = order[j] as (typeof order)[number];
    order[j] = tmp;
  }
  let held = 0;
  for (const t of order) held += t.bars;
  const free = s.b - s.a - held;
  if (free < 0) throw new Error(`random entry: ${k} trades hold ${held} bars, more than the window's ${s.b - s.a}`);
  // Selection sampling (Knuth's algorithm S): k sorted distinct slots out of free + k.
  const slots = free + k;
  let need = k;
  let i = 0;
  let placed = 0;
  let equity = 1;
  for (let c = 0; c < slots && need > 0; c++) {
    if (rng.next() * (slots - c) < need) {
      // Slot c is trade `placed`; free bars before it: c - placed.
      const t = order[placed] as (typeof order)[number];
      const entryIdx = s.a + (c - placed) + i;
      const entryBar = s.bars[entryIdx] as Bar;
      const exitBar = s.bars[entryIdx + t.bars - 1] as Bar;
      const slipIn = fillSlippage(entryBar, slippage, slippageRange);
      const slipOut = fillSlippage(exitBar, slippage, slippageRange);
      equity *= 1 + t.size * netTradeReturn(direction(t.side), entryBar.open, exitBar.close, fee, slipIn, slipOut);
      i += t.bars;
      placed++;
      need--;
    }
  }
  return equity;
}
