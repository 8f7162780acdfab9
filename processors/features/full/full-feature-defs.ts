import { ZONE_RULES_VERSION } from '../../calendar/index.ts';
import { DEFAULT_SIGNAL_INTERVAL, mtfIntervals, type SignalInterval } from '../../signal-interval.ts';
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../lib/canonical-json.ts';
import { GAMMA_FLIP_GRID } from './chain/gamma-exposure.ts';
import { SKEW_MONEYNESS } from './chain/iv-skew.ts';

/**
 * One column of full-v1. `warmUp` counts bars of `interval` for bar features (the first bar with
 * a value is the warmUp-th), 5-minute closes that had an ATM IV for the IV rank, 0 otherwise.
 */
export interface FullFeatureDef {
  readonly name: string;
  /** Bump when the formula changes in a way params do not capture. */
  readonly version: number;
  readonly warmUp: number;
  /** Bar interval the feature is computed on; null for chain and time features. */
  readonly interval: string | null;
  readonly unit: string;
  readonly doc: string;
  readonly source: 'bar' | 'chain' | 'time';
  readonly params: Readonly<Record<string, number | string>>;
}

/** Options of full-v1; each one is a param of the features it changes, so it changes the hash. */
export interface FullFeatureOptions {
  /** Session calendar of minutes_since_open / day_of_week (processors/calendar). */
  readonly calendar: string;
  /** Units of underlying per contract in GEX (1 = per unit of underlying). */
  readonly contractMultiplier: number;
  /** Risk-free rate and dividend yield (continuous, annualized) where IV or gamma is computed. */
  readonly rate: number;
  readonly dividendYield: number;
  /** ATM IV rank/percentile window and minimum history, in 5-minute closes. */
  readonly ivLookback: number;
  readonly ivMinPeriods: number;
  /**
   * The interval that gets features (`--interval`): bar features and windows count its bars, and
   * the multi-timeframe copies use the intervals around it (mtfIntervals). At 5m the definitions
   * (and so the hash) are full-v1's original ones.
   */
  readonly signalInterval: SignalInterval;
}

export const FULL_FEATURE_DEFAULTS: FullFeatureOptions = Object.freeze({
  calendar: 'crypto',
  contractMultiplier: 1,
  rate: 0,
  dividendYield: 0,
  ivLookback: 288,
  ivMinPeriods: 20,
  signalInterval: DEFAULT_SIGNAL_INTERVAL,
});

/** The default signal interval and its multi-timeframe intervals (1m, 15m, 1h). */
export const SIGNAL_INTERVAL = DEFAULT_SIGNAL_INTERVAL;
export const MTF_INTERVALS: readonly string[] = Object.freeze(mtfIntervals(SIGNAL_INTERVAL));

type Def = FullFeatureDef;
const barOf = (signal: string) => (name: string, warmUp: number, unit: string, doc: string, params: Def['params'] = {}, interval = signal): Def =>
  ({ name, version: 1, warmUp, interval, unit, doc, source: 'bar', params });
const chain = (name: string, unit: string, doc: string, params: Def['params'] = {}, warmUp = 0): Def =>
  ({ name, version: 1, warmUp, interval: null, unit, doc, source: 'chain', params });

const LR = 'log return';
const NEAR = { expiry: 'nearest-live' };

/** The per-interval block also used for the multi-timeframe copies (see MultiTimeframeBlock). */
function mtfDefs(signal: string, interval: string): Def[] {
  const bar = barOf(signal);
  const s = interval === signal ? '' : `_${interval}`;
  return [
    bar(`ret_1${s}`, 2, LR, 'ln(close_t / close_{t-1})', { n: 1 }, interval),
    bar(`rsi_14${s}`, 15, 'index 0..100', "Wilder's RSI (SMA seed, then Wilder smoothing); flat = 50", { n: 14 }, interval),
    bar(`rv_10${s}`, 11, 'log return over 10 bars', 'sqrt of the sum of the last 10 squared 1-bar log returns', { n: 10 }, interval),
    bar(`bb_pctb_20${s}`, 20, 'fraction of band width', 'Bollinger %B, population std', { n: 20, k: 2 }, interval),
  ];
}

export function fullFeatureDefs(o: FullFeatureOptions = FULL_FEATURE_DEFAULTS): readonly FullFeatureDef[] {
  const bs = { rate: o.rate, dividendYield: o.dividendYield, yearDays: 365 };
  const gex = { ...bs, multiplier: o.contractMultiplier, convention: 'dealers long calls, short puts' };
  const signal = o.signalInterval;
  const bar = barOf(signal);
  return [
    ...mtfDefs(signal, signal),
    bar('ret_3', 4, LR, 'ln(close_t / close_{t-3})', { n: 3 }),
    bar('ret_9', 10, LR, 'ln(close_t / close_{t-9})', { n: 9 }),
    bar('ret_5', 6, LR, 'momentum over 5 bars: ln(close_t / close_{t-5})', { n: 5 }),
    bar('ret_10', 11, LR, 'momentum over 10 bars', { n: 10 }),
    bar('ret_20', 21, LR, 'momentum over 20 bars', { n: 20 }),
    bar('mom_accel_5_10', 11, 'log return per bar', 'acceleration: ret_5/5 - ret_10/10 (short minus long mean log return per bar)', { short: 5, long: 10 }),
    bar('mom_accel_10_20', 21, 'log return per bar', 'acceleration: ret_10/10 - ret_20/20', { short: 10, long: 20 }),
    bar('macd_line', 34, 'fraction of close', 'MACD line EMA12 - EMA26 (SMA-seeded EMAs) / close', { fast: 12, slow: 26, signal: 9 }),
    bar('macd_signal', 34, 'fraction of close', 'EMA9 of the MACD line / close', { fast: 12, slow: 26, signal: 9 }),
    bar('macd_hist', 34, 'fraction of close', '(MACD line - signal) / close', { fast: 12, slow: 26, signal: 9 }),
    bar('adx_14', 28, 'index 0..100', "Wilder's ADX (Wilder sums of TR/DM, SMA-seeded ADX)", { n: 14 }),
    bar('regime_score', 28, 'dimensionless', 'ADX/100 x per-bar vol ratio (rv_10/sqrt 10)/(rv_20/sqrt 20): trend strength x volatility regime', { adx: 14, short: 10, long: 20 }),
    bar('rv_20', 21, 'log return over 20 bars', 'sqrt of the sum of the last 20 squared 1-bar log returns', { n: 20 }),
    bar('parkinson_20', 20, 'log return over 20 bars', 'sqrt(sum of ln(H/L)^2 over 20 bars / (4 ln 2))', { n: 20 }),
    bar('atr_14', 14, 'price', "Wilder's ATR (first TR = high - low)", { n: 14 }),
    bar('atr_14_pct', 14, 'fraction of close', 'ATR(14) / close', { n: 14 }),
    bar('bb_width_20', 20, 'fraction of middle band', 'Bollinger width = (upper - lower) / middle, population std', { n: 20, k: 2 }),
    bar('rsi_mom_5', 20, 'RSI points', 'RSI(14)_t - RSI(14)_{t-5}', { n: 14, lag: 5 }),
    bar('rsi_div_10', 24, 'RSI points', 'RSI(14)_t - mean of the last 10 RSI(14) values', { n: 14, mean: 10 }),
    bar('vol_ratio_20', 21, 'ratio (1 = average)', 'volume / mean volume of the previous 20 bars', { n: 20 }),
    bar('vol_price_confirm', 21, 'signed log ratio', 'sign(ret_1) x ln(vol_ratio_20): > 0 when a move comes on above-average volume', { n: 20 }),
    bar('vwap_dev_20', 20, 'fraction of VWAP', 'close / rolling 20-bar VWAP - 1', { n: 20 }),
    bar('vwap_z_20', 20, 'standard deviations of close', '(close - rolling VWAP) / population std of close, same 20 bars', { n: 20 }),
    bar('ofi', 1, 'fraction in [-1, 1]', '2 * buyVolume / volume - 1 of the bar', {}),
    bar('ofi_6', 6, 'fraction in [-1, 1]', 'mean OFI of the last 6 bars (null if any is null)', { n: 6 }),
    chain('pcr_oi', 'ratio', 'put / call open interest', NEAR),
    chain('pcr_volume', 'ratio', 'put / call volume', NEAR),
    chain('pcr_premium', 'ratio', 'sum last*OI puts / calls', NEAR),
    chain('pcr_oi_change', 'ratio', 'put OI change / call OI change vs the chain as of barEnd - 5 min', { ...NEAR, minutes: 5 }),
    chain('max_pain_dist', 'fraction of spot', '(max-pain strike - spot) / spot', NEAR),
    chain('max_pain_pull', 'fraction of spot', 'max_pain_dist / (1 + days to the nearest expiry)', NEAR),
    chain('gex_total', 'currency per 1 % move', 'sum sign*gamma*OI*multiplier*spot^2*0.01, every live expiry', gex),
    chain('gex_near', 'currency per 1 % move', 'GEX of the nearest live expiry', gex),
    chain('gex_sign', 'sign -1/0/1', 'sign of gex_total', gex),
    chain('gamma_flip', 'price', 'spot level where total GEX (BS gamma) changes sign, grid spot*(1 +- 0.1) step 0.5 %', { ...gex, range: GAMMA_FLIP_GRID.range, steps: GAMMA_FLIP_GRID.steps }),
    chain('gamma_flip_dist', 'fraction of spot', '(gamma_flip - spot) / spot', { ...gex, range: GAMMA_FLIP_GRID.range, steps: GAMMA_FLIP_GRID.steps }),
    chain('net_gamma', 'underlying units per price unit', 'sum sign*gamma*OI*multiplier, every live expiry', gex),
    chain('otm_put_gamma', 'underlying units per price unit', 'sum gamma*OI*multiplier over puts with strike < spot', gex),
    chain('otm_call_gamma', 'underlying units per price unit', 'sum gamma*OI*multiplier over calls with strike > spot', gex),
    chain('iv_skew_5', 'IV fraction', 'put IV at 0.95 spot - call IV at 1.05 spot (strike-interpolated)', { ...NEAR, ...bs, moneyness: SKEW_MONEYNESS }),
    chain('iv_term_ratio', 'ratio', 'ATM IV nearest / ATM IV next expiry', bs),
    chain('atm_iv', 'IV fraction', 'mean call/put IV at the strike nearest spot (IV solved from price where missing)', { ...NEAR, ...bs }),
    chain('atm_iv_rank', 'fraction 0..1', '(IV - min) / (max - min) over the last ivLookback signal-interval closes', { ...bs, lookback: o.ivLookback }, o.ivMinPeriods),
    chain('atm_iv_pctl', 'fraction 0..1', 'share of the other IVs in the window strictly below the latest', { ...bs, lookback: o.ivLookback }, o.ivMinPeriods),
    chain('oi_vel_call_5m', 'fraction', 'relative change of total call OI vs the chain as of barEnd - 5 min', { minutes: 5 }),
    chain('oi_vel_put_5m', 'fraction', 'relative change of total put OI vs the chain as of barEnd - 5 min', { minutes: 5 }),
    chain('oi_vel_call_15m', 'fraction', 'relative change of total call OI vs the chain as of barEnd - 15 min', { minutes: 15 }),
    chain('oi_vel_put_15m', 'fraction', 'relative change of total put OI vs the chain as of barEnd - 15 min', { minutes: 15 }),
    { name: 'minutes_since_open', version: 1, warmUp: 0, interval: null, unit: 'minutes', doc: 'minutes since the session opened, at barEnd', source: 'time', params: { calendar: o.calendar, zoneRules: ZONE_RULES_VERSION } },
    { name: 'hours_to_expiry', version: 1, warmUp: 0, interval: null, unit: 'hours', doc: 'hours from barEnd to the nearest expiry after it in the as-of chain', source: 'time', params: {} },
    { name: 'day_of_week', version: 1, warmUp: 0, interval: null, unit: '0 = Sunday .. 6', doc: "weekday of barEnd in the calendar's zone (UTC for crypto)", source: 'time', params: { calendar: o.calendar, zoneRules: ZONE_RULES_VERSION } },
    ...mtfIntervals(signal).flatMap((i) => mtfDefs(signal, i)),
  ];
}

/**
 * sha256 (hex) of the canonical JSON of every definition's semantic fields in column order (all
 * fields but `doc`, as in core-v1's featureSetHash, plus interval), prefixed by the set id.
 */
export function fullFeatureSetHash(id: string, defs: readonly FullFeatureDef[]): string {
  const semantic = defs.map(({ doc: _doc, ...rest }) => rest);
  return createHash('sha256').update(canonicalJson({ id, defs: semantic })).digest('hex');
}
