import type { Bar } from '../../schemas/index.ts';
import { Rng } from '../../processors/math/rng.ts';
import type { RandomEntryBaseline, Side } from './backtest-report.ts';
import { NO_EXITS } from './exit-levels.ts';
import { buildSchedule, simulatePortfolio, type Schedule } from './simulate-portfolio.ts';
import type { Order, SymbolCosts } from './simulate-symbol.ts';
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
 * at its first bar's open and exits at its last bar's close with the same costs, under the same
 * accounting as the strategy: 'shared' (default) runs the placed trades through the shared-cash
 * portfolio (simulate-portfolio.ts: sized on the portfolio's equity, skipped without cash);
 * 'sleeves' compounds each symbol's trades in its sleeve and takes the mean sleeve's return.
 * Deterministic: one seeded generator, symbols in the given order, draws in order.
 */
export function randomEntryBaseline(
  symbols: readonly SymbolTrades[],
  strategyReturn: number,
  opts: { draws: number; seed: number; fee: number; slippage: number; slippageRange?: number; portfolio?: 'shared' | 'sleeves' },
): RandomEntryBaseline {
  const tradeCount = symbols.reduce((n, s) => n + s.trades.length, 0);
  if (opts.draws === 0 || tradeCount === 0 || symbols.length === 0) {
    return { draws: 0, seed: opts.seed, mean: null, sd: null, pValue: null, returns: [] };
  }
  const rng = new Rng(opts.seed);
  const returns: number[] = [];
  if ((opts.portfolio ?? 'shared') === 'shared') {
    const window = symbols.map((s) => s.bars.slice(s.a, s.b));
    const schedule = buildSchedule(window.map((bars) => ({ bars })));
    const costs: SymbolCosts = { fee: opts.fee, slippage: opts.slippage, slippageRange: opts.slippageRange ?? 0, horizonBars: 1, exits: NO_EXITS };
    for (let d = 0; d < opts.draws; d++) returns.push(drawShared(symbols, window, schedule, rng, costs));
  } else {
    for (let d = 0; d < opts.draws; d++) {
      let sum = 0;
      for (const s of symbols) sum += drawSleeve(s, rng, opts.fee, opts.slippage, opts.slippageRange ?? 0);
      returns.push(sum / symbols.length - 1);
    }
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

/** One placed trade: the index of its entry bar (into the symbol's bars) and the trade. */
interface Placed {
  entryIdx: number;
  trade: SymbolTrades['trades'][number];
}

/**
 * Places one symbol's trades for one draw: shuffled order (Fisher-Yates), then k sorted distinct
 * slots out of free + k by selection sampling (Knuth's algorithm S), in the window bars [a, b).
 */
function placeTrades(s: SymbolTrades, rng: Rng): Placed[] {
  const k = s.trades.length;
  if (k === 0) return [];
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
  const slots = free + k;
  let need = k;
  let i = 0;
  let placed = 0;
  const out: Placed[] = [];
  for (let c = 0; c < slots && need > 0; c++) {
    if (rng.next() * (slots - c) < need) {
      // Slot c is trade `placed`; free bars before it: c - placed.
      const t = order[placed] as (typeof order)[number];
      out.push({ entryIdx: s.a + (c - placed) + i, trade: t });
      i += t.bars;
      placed++;
      need--;
    }
  }
  return out;
}

/** One draw of one sleeve: its final equity (starting at 1). */
function drawSleeve(s: SymbolTrades, rng: Rng, fee: number, slippage: number, slippageRange: number): number {
  let equity = 1;
  for (const { entryIdx, trade: t } of placeTrades(s, rng)) {
    const entryBar = s.bars[entryIdx] as Bar;
    const exitBar = s.bars[entryIdx + t.bars - 1] as Bar;
    const slipIn = fillSlippage(entryBar, slippage, slippageRange);
    const slipOut = fillSlippage(exitBar, slippage, slippageRange);
    equity *= 1 + t.size * netTradeReturn(direction(t.side), entryBar.open, exitBar.close, fee, slipIn, slipOut);
  }
  return equity;
}

/**
 * One draw through the shared portfolio: every symbol's trades placed as for a sleeve, then run as
 * orders (enter at the placed bar's open with the trade's size of the portfolio's equity, exit at
 * the close of its last bar; an order the cash cannot pay for is skipped) by simulatePortfolio over
 * the window bars. Its return: equity after the last close - 1.
 */
function drawShared(symbols: readonly SymbolTrades[], window: readonly Bar[][], schedule: Schedule, rng: Rng, costs: SymbolCosts): number {
  const portfolio = symbols.map((s, k) => {
    const orders = new Array<Order | undefined>((window[k] as Bar[]).length).fill(undefined);
    for (const { entryIdx, trade } of placeTrades(s, rng)) {
      orders[entryIdx - s.a] = { side: trade.side, size: trade.size, stop: null, target: null, expiresAt: null, holdBars: trade.bars };
    }
    return { bars: window[k] as Bar[], orders };
  });
  const r = simulatePortfolio(portfolio, costs, schedule);
  const last = r.closes[r.closes.length - 1];
  return last ? last.equity - 1 : 0;
}
