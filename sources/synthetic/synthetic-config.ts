/**
 * Configuration of the synthetic market, with every default visible here. See
 * docs/synthetic-market.md for what each parameter does to the dynamics.
 */
export interface SymbolSpec {
  symbol: string;
  initialPrice: number;
  tickSize: number;
  /** Annualized volatility of the Brownian part of the latent log price (per calendar time). */
  volatility: number;
  /** Mean trade arrivals per second, averaged over regimes and the hour of day. */
  baseTradesPerSecond: number;
  /** Typical trade size (quiet regime, before the size walk). */
  meanTradeSize: number;
  lotSize: number;
  /** Strike grid spacing of the option chain. */
  strikeStep: number;
  /** Price increment of option quotes. */
  optionTick: number;
}

export interface RegimeConfig {
  /** Mean sojourn of the quiet / active state of the Markov chain, minutes. */
  quietMeanMinutes: number;
  activeMeanMinutes: number;
  /** Arrival-rate multipliers (chosen so the stationary mean is 1 with the default sojourns). */
  quietRate: number;
  activeRate: number;
  /** Trade-size multipliers. */
  quietSize: number;
  activeSize: number;
  /** Step (std) of the log-size walk per trade, per regime. */
  quietSizeStep: number;
  activeSizeStep: number;
  /** AR(1) coefficient of the log-size walk per trade (below 1 keeps it stationary). */
  sizePersistence: number;
}

export interface OptionChainConfig {
  intervalMs: number;
  /** Weekly expiries listed: the next N Fridays at expiryHourUtc. */
  expiries: number;
  expiryHourUtc: number;
  /** Strikes on the grid within spot * (1 +- strikeRange). */
  strikeRange: number;
  riskFreeRate: number;
  /** ATM volatility as a multiple of the symbol volatility: front (T -> 0) and back (T -> inf). */
  atmFront: number;
  atmBack: number;
  termDecayDays: number;
  /** iv = atm(T) * max(minRatio, 1 - skew * k + smile * k^2), k = ln(K / F). */
  skew: number;
  smile: number;
  minRatio: number;
  /** Half spread = max(optionTick, min(spreadFraction * mid, maxSpreadOfSpot * spot)). */
  spreadFraction: number;
  maxSpreadOfSpot: number;
  /** Open interest target at the money; width in log moneyness; mean reversion and noise per snapshot. */
  oiAtm: number;
  oiWidth: number;
  oiReversion: number;
  oiNoise: number;
  /** Expected contracts traded per snapshot interval per contract of open interest. */
  volumePerOi: number;
}

export interface LatencyConfig {
  /** Trades: tsInit = tsEvent + tradeMinMs + floor(Exp(mean tradeMeanExtraMs)). */
  tradeMinMs: number;
  tradeMeanExtraMs: number;
  /** Chains: tsInit = tsEvent + uniform integer in [chainMinMs, chainMaxMs]. */
  chainMinMs: number;
  chainMaxMs: number;
  /** Late trades: delay uniform in [lateMinMs, lateMaxMs]. */
  lateMinMs: number;
  lateMaxMs: number;
}

export interface SyntheticConfig {
  symbols: readonly SymbolSpec[];
  /** Epoch ms of the first instant simulated. */
  start: number;
  /** Length of the simulation in days (may be fractional). */
  days: number;
  seed: number;
  /** s in the drift formula; 0 removes all drift. */
  signalStrength: number;
  /**
   * A change of the planted signal part way through (drift demonstrations): every bar starting at
   * or after `at` (epoch ms) has strength `signalStrength` instead (negative reverses the signal).
   * Null: one strength throughout.
   */
  signalChange: { at: number; signalStrength: number } | null;
  /** kappa: drift of bar j = s * kappa * sigma_bar * mean(OFI_{j-L..j-1}). */
  driftScale: number;
  signalLookbackBars: number;
  /** Bar length of the planted signal (the 5-minute bars). */
  barMs: number;
  /** Latent imbalance of a bar a ~ Uniform(-maxImbalance, maxImbalance); P(BUY) = (1 + a) / 2. */
  maxImbalance: number;
  /** Compound-Poisson jumps of the log price: mean count per day and normal size std. */
  jumpsPerDay: number;
  jumpStd: number;
  regimes: RegimeConfig;
  /** Arrival-rate multiplier 1 + amplitude * cos(2 pi (hour - peakHourUtc) / 24). */
  seasonality: { amplitude: number; peakHourUtc: number };
  options: OptionChainConfig;
  latency: LatencyConfig;
  /** Fraction of trades with a non-positive price or size (dead-lettered downstream). */
  badTradeRate: number;
  /** Fraction of trades delivered 1.5-3 minutes late (routed as late events downstream). */
  lateTradeRate: number;
}

export const DEFAULT_SYMBOLS: readonly SymbolSpec[] = [
  { symbol: 'BTC', initialPrice: 60_000, tickSize: 0.1, volatility: 0.5, baseTradesPerSecond: 1, meanTradeSize: 0.05, lotSize: 0.0001, strikeStep: 2000, optionTick: 1 },
  { symbol: 'ETH', initialPrice: 3_000, tickSize: 0.01, volatility: 0.5, baseTradesPerSecond: 1, meanTradeSize: 1, lotSize: 0.001, strikeStep: 100, optionTick: 0.1 },
];

export const DEFAULT_SYNTHETIC_CONFIG: SyntheticConfig = {
  symbols: DEFAULT_SYMBOLS,
  start: Date.UTC(2026, 0, 5), // Monday 2026-01-05T00:00:00Z
  days: 1,
  seed: 1,
  signalStrength: 1,
  signalChange: null,
  driftScale: 1.8,
  signalLookbackBars: 6,
  barMs: 300_000,
  maxImbalance: 0.6,
  jumpsPerDay: 2,
  jumpStd: 0.005,
  regimes: {
    quietMeanMinutes: 180, activeMeanMinutes: 60, quietRate: 0.6, activeRate: 2.2,
    quietSize: 1, activeSize: 1.6, quietSizeStep: 0.06, activeSizeStep: 0.12, sizePersistence: 0.98,
  },
  seasonality: { amplitude: 0.5, peakHourUtc: 14 },
  options: {
    intervalMs: 60_000, expiries: 4, expiryHourUtc: 8, strikeRange: 0.1, riskFreeRate: 0,
    atmFront: 1.1, atmBack: 0.95, termDecayDays: 14, skew: 1, smile: 5, minRatio: 0.5,
    spreadFraction: 0.02, maxSpreadOfSpot: 0.001, oiAtm: 500, oiWidth: 0.05, oiReversion: 0.05, oiNoise: 0.02,
    volumePerOi: 0.005,
  },
  latency: { tradeMinMs: 5, tradeMeanExtraMs: 20, chainMinMs: 50, chainMaxMs: 200, lateMinMs: 90_000, lateMaxMs: 180_000 },
  badTradeRate: 1e-5,
  lateTradeRate: 1e-4,
};

/** What callers may override: any top-level field, nested objects field by field. */
export type SyntheticConfigInput = Partial<Omit<SyntheticConfig, 'symbols' | 'regimes' | 'seasonality' | 'options' | 'latency'>> & {
  /** Replaces the symbol list; each entry is completed from the default of the same name, if any. */
  symbols?: readonly (Partial<SymbolSpec> & { symbol: string })[];
  regimes?: Partial<RegimeConfig>;
  seasonality?: Partial<SyntheticConfig['seasonality']>;
  options?: Partial<OptionChainConfig>;
  latency?: Partial<LatencyConfig>;
};

/** Defaults merged with the overrides, validated. */
export function syntheticConfig(partial: SyntheticConfigInput = {}): SyntheticConfig {
  const d = DEFAULT_SYNTHETIC_CONFIG;
  const config: SyntheticConfig = {
    ...d,
    ...partial,
    symbols: partial.symbols ? partial.symbols.map(completeSymbol) : d.symbols,
    regimes: { ...d.regimes, ...partial.regimes },
    seasonality: { ...d.seasonality, ...partial.seasonality },
    options: { ...d.options, ...partial.options },
    latency: { ...d.latency, ...partial.latency },
  };
  validate(config);
  return config;
}

function completeSymbol(p: Partial<SymbolSpec> & { symbol: string }): SymbolSpec {
  const known = DEFAULT_SYMBOLS.find((s) => s.symbol === p.symbol);
  if (known) return { ...known, ...p };
  const { initialPrice, tickSize } = p;
  if (initialPrice === undefined || tickSize === undefined) {
    throw new RangeError(`symbol ${p.symbol}: initialPrice and tickSize are required for a symbol without defaults`);
  }
  const step = 10 ** Math.floor(Math.log10(initialPrice / 50));
  return {
    volatility: 0.5, baseTradesPerSecond: 1, meanTradeSize: 1, lotSize: 0.001, strikeStep: step, optionTick: tickSize,
    ...p, initialPrice, tickSize,
  };
}

function validate(c: SyntheticConfig): void {
  const fail = (msg: string): never => {
    throw new RangeError(`synthetic config: ${msg}`);
  };
  if (c.symbols.length === 0) fail('at least one symbol');
  if (new Set(c.symbols.map((s) => s.symbol)).size !== c.symbols.length) fail('duplicate symbols');
  for (const s of c.symbols) {
    for (const k of ['initialPrice', 'tickSize', 'volatility', 'baseTradesPerSecond', 'meanTradeSize', 'lotSize', 'strikeStep', 'optionTick'] as const) {
      if (!(s[k] > 0) || !Number.isFinite(s[k])) fail(`${s.symbol}.${k} must be a positive number`);
    }
    // Prices and sizes are rounded with an integer inverse (1 / tick), which needs decimal ticks.
    for (const k of ['tickSize', 'lotSize', 'optionTick'] as const) {
      if (s[k] < 1 && Math.abs(1 / s[k] - Math.round(1 / s[k])) > 1e-9) fail(`${s.symbol}.${k} must be 1/n or >= 1`);
    }
  }
  if (!Number.isInteger(c.start)) fail('start must be integer epoch ms');
  if (!(c.days > 0)) fail('days must be > 0');
  if (!Number.isInteger(c.seed)) fail('seed must be an integer');
  if (!(c.signalStrength >= 0)) fail('signalStrength must be >= 0');
  if (c.signalChange !== null && (!Number.isInteger(c.signalChange.at) || !Number.isFinite(c.signalChange.signalStrength))) fail('signalChange needs an integer epoch ms and a finite strength');
  if (!(c.driftScale >= 0)) fail('driftScale must be >= 0');
  if (!Number.isInteger(c.signalLookbackBars) || c.signalLookbackBars < 1) fail('signalLookbackBars must be a positive integer');
  if (!Number.isInteger(c.barMs) || c.barMs <= 0) fail('barMs must be a positive integer');
  if (!(c.maxImbalance >= 0 && c.maxImbalance <= 1)) fail('maxImbalance must be in [0, 1]');
  if (!(c.jumpsPerDay >= 0) || !(c.jumpStd >= 0)) fail('jumps must be >= 0');
  if (!(c.seasonality.amplitude >= 0 && c.seasonality.amplitude < 1)) fail('seasonality.amplitude must be in [0, 1)');
  const r = c.regimes;
  if (!(r.quietMeanMinutes > 0 && r.activeMeanMinutes > 0 && r.quietRate > 0 && r.activeRate > 0)) fail('regime durations and rates must be > 0');
  if (!(r.sizePersistence >= 0 && r.sizePersistence < 1)) fail('regimes.sizePersistence must be in [0, 1)');
  if (!(c.options.intervalMs > 0) || !Number.isInteger(c.options.intervalMs)) fail('options.intervalMs must be a positive integer');
  if (!(c.options.expiries >= 1)) fail('options.expiries must be >= 1');
  const l = c.latency;
  if (!(l.tradeMinMs >= 0 && l.tradeMeanExtraMs > 0 && l.chainMinMs >= 0 && l.chainMaxMs >= l.chainMinMs && l.lateMaxMs >= l.lateMinMs)) fail('latency ranges');
  for (const k of [l.tradeMinMs, l.chainMinMs, l.chainMaxMs, l.lateMinMs, l.lateMaxMs]) if (!Number.isInteger(k)) fail('latency bounds must be integer ms');
  if (!(c.badTradeRate >= 0 && c.lateTradeRate >= 0 && c.badTradeRate + c.lateTradeRate <= 1)) fail('bad/late rates');
}
