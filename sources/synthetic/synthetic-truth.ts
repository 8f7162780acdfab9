/**
 * What the generator knows about the data it produced, collected while events() runs: per symbol
 * and per signal bar, the bar's last trade price and its realized order-flow imbalance (OFI), with
 * the parameters needed to compute the true class probabilities. Memory is O(bars), never O(trades).
 * Bad and late trades are excluded, as they are from the bars tickflow builds.
 */
export interface SymbolTruth {
  symbol: string;
  /** Annualized diffusion volatility, jump intensity per day and jump size std of the log price. */
  volatility: number;
  jumpsPerDay: number;
  jumpStd: number;
  /** Start (epoch ms) of bar 0; bar i covers [firstBarStart + i * barMs, + barMs). */
  firstBarStart: number;
  /** Number of closed bars recorded (the arrays below may be longer). */
  bars: number;
  /** Last good on-time trade price of the bar (latest tsEvent, ties by delivery order); NaN if none. */
  close: Float64Array;
  /** (buyVolume - sellVolume) / volume of the good on-time trades; 0 for a bar without trades. */
  ofi: Float64Array;
  /** sum(size^2) / sum(size)^2 over those trades: how much sampling noise the bar's OFI carries. */
  herfindahl: Float64Array;
  trades: number;
  badTrades: number;
  lateTrades: number;
}

export interface SyntheticTruth {
  barMs: number;
  signalStrength: number;
  /** Bars starting at or after this epoch ms were generated with another strength (see SyntheticConfig.signalChange); null: none. */
  signalChangeAt: number | null;
  driftScale: number;
  signalLookbackBars: number;
  maxImbalance: number;
  symbols: SymbolTruth[];
}

/**
 * Where a recorder is (its counts), for a generator restored mid-stream: the bars before are not
 * kept, so a restored generator's truth covers only the bars it closed itself (their arrays hold
 * zeros before).
 */
export interface TruthCounts {
  bars: number;
  trades: number;
  badTrades: number;
  lateTrades: number;
}

/** Accumulates one symbol's bars as they close. */
export class SymbolTruthRecorder {
  readonly truth: SymbolTruth;

  constructor(symbol: string, volatility: number, jumpsPerDay: number, jumpStd: number, firstBarStart: number, maxBars: number) {
    this.truth = {
      symbol, volatility, jumpsPerDay, jumpStd, firstBarStart, bars: 0,
      close: new Float64Array(maxBars), ofi: new Float64Array(maxBars), herfindahl: new Float64Array(maxBars),
      trades: 0, badTrades: 0, lateTrades: 0,
    };
  }

  counts(): TruthCounts {
    const t = this.truth;
    return { bars: t.bars, trades: t.trades, badTrades: t.badTrades, lateTrades: t.lateTrades };
  }

  restoreCounts(c: TruthCounts): void {
    Object.assign(this.truth, c);
  }

  recordBar(close: number, ofi: number, herfindahl: number): void {
    const t = this.truth;
    if (t.bars >= t.close.length) throw new Error(`truth for ${t.symbol}: more bars than planned (${t.close.length})`);
    t.close[t.bars] = close;
    t.ofi[t.bars] = ofi;
    t.herfindahl[t.bars] = herfindahl;
    t.bars++;
  }
}
