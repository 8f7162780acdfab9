/** One model input column. `warmUp` counts signal-interval bars (0: needs an option chain, not bars). */
export interface FeatureDef {
  readonly name: string;
  /** Bump when the formula changes in a way params do not capture. */
  readonly version: number;
  readonly warmUp: number;
  readonly unit: string;
  readonly doc: string;
  readonly source: 'bar' | 'chain';
  readonly params: Readonly<Record<string, number | string>>;
}

/** The core-v1 features. Array order is the model's column order: append, never reorder. */
export const FEATURE_DEFS = [
  { name: 'ret_1', version: 1, warmUp: 2, unit: 'log return', doc: 'ln(close_t / close_{t-1})', source: 'bar', params: { n: 1 } },
  { name: 'ret_3', version: 1, warmUp: 4, unit: 'log return', doc: 'ln(close_t / close_{t-3})', source: 'bar', params: { n: 3 } },
  { name: 'ret_9', version: 1, warmUp: 10, unit: 'log return', doc: 'ln(close_t / close_{t-9})', source: 'bar', params: { n: 9 } },
  { name: 'rv_12', version: 1, warmUp: 13, unit: 'log return over 12 bars (not annualized)', doc: 'sqrt of the sum of the last 12 squared 1-bar log returns', source: 'bar', params: { n: 12 } },
  { name: 'rsi_14', version: 1, warmUp: 15, unit: 'index 0..100', doc: "Wilder's RSI (SMA seed, then Wilder smoothing); flat = 50", source: 'bar', params: { n: 14 } },
  { name: 'atr_14_pct', version: 1, warmUp: 14, unit: 'fraction of close', doc: "Wilder's ATR (first TR = high - low) divided by close", source: 'bar', params: { n: 14 } },
  { name: 'bb_pctb_20', version: 1, warmUp: 20, unit: 'fraction of band width (0 = lower, 1 = upper)', doc: 'Bollinger %B = (close - lower) / (upper - lower), population std', source: 'bar', params: { n: 20, k: 2 } },
  { name: 'bb_width_20', version: 1, warmUp: 20, unit: 'fraction of middle band', doc: 'Bollinger width = (upper - lower) / middle, population std', source: 'bar', params: { n: 20, k: 2 } },
  { name: 'vwap_z_20', version: 1, warmUp: 20, unit: 'standard deviations of close', doc: '(close - rolling VWAP) / population std of close, same 20 bars', source: 'bar', params: { n: 20 } },
  { name: 'vol_ratio_20', version: 1, warmUp: 21, unit: 'ratio (1 = average)', doc: 'volume / mean volume of the previous 20 bars', source: 'bar', params: { n: 20 } },
  { name: 'ofi', version: 1, warmUp: 1, unit: 'fraction in [-1, 1]', doc: '2 * buyVolume / volume - 1 of the bar', source: 'bar', params: {} },
  { name: 'ofi_6', version: 1, warmUp: 6, unit: 'fraction in [-1, 1]', doc: 'mean OFI of the last 6 bars (null if any is null)', source: 'bar', params: { n: 6 } },
  { name: 'pcr_oi', version: 1, warmUp: 0, unit: 'ratio', doc: 'put / call open interest, nearest live expiry', source: 'chain', params: { expiry: 'nearest-live' } },
  { name: 'pcr_volume', version: 1, warmUp: 0, unit: 'ratio', doc: 'put / call volume, nearest live expiry', source: 'chain', params: { expiry: 'nearest-live' } },
  { name: 'atm_iv', version: 1, warmUp: 0, unit: 'implied volatility fraction (as quoted)', doc: 'mean call/put IV at the strike nearest spot, nearest live expiry', source: 'chain', params: { expiry: 'nearest-live' } },
  { name: 'max_pain_dist', version: 1, warmUp: 0, unit: 'fraction of spot', doc: '(max-pain strike - spot) / spot, nearest live expiry', source: 'chain', params: { expiry: 'nearest-live' } },
] as const satisfies readonly FeatureDef[];

export type FeatureName = (typeof FEATURE_DEFS)[number]['name'];

export const FEATURE_NAMES: readonly FeatureName[] = FEATURE_DEFS.map((d) => d.name);
