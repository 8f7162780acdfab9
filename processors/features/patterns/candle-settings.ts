/**
 * TA-Lib's candle settings (ta_global.c, TA_CandleDefaultSettings), the yardsticks its candlestick
 * functions measure bodies and shadows with: "long" means longer than `factor` times the average
 * `rangeType` of the `avgPeriod` candles before the one measured (that candle excluded), or than the
 * candle's own range when `avgPeriod` is 0. Shadows averages are halved (two shadows per candle).
 */
export type RangeType = 'realBody' | 'highLow' | 'shadows';

export interface CandleSetting {
  readonly rangeType: RangeType;
  readonly avgPeriod: number;
  readonly factor: number;
}

export const CANDLE_SETTINGS = {
  bodyLong: { rangeType: 'realBody', avgPeriod: 10, factor: 1.0 },
  bodyVeryLong: { rangeType: 'realBody', avgPeriod: 10, factor: 3.0 },
  bodyShort: { rangeType: 'realBody', avgPeriod: 10, factor: 1.0 },
  bodyDoji: { rangeType: 'highLow', avgPeriod: 10, factor: 0.1 },
  shadowLong: { rangeType: 'realBody', avgPeriod: 0, factor: 1.0 },
  shadowVeryLong: { rangeType: 'realBody', avgPeriod: 0, factor: 2.0 },
  shadowShort: { rangeType: 'shadows', avgPeriod: 10, factor: 1.0 },
  shadowVeryShort: { rangeType: 'highLow', avgPeriod: 10, factor: 0.1 },
  near: { rangeType: 'highLow', avgPeriod: 5, factor: 0.2 },
  far: { rangeType: 'highLow', avgPeriod: 5, factor: 0.6 },
  equal: { rangeType: 'highLow', avgPeriod: 5, factor: 0.05 },
} as const satisfies Record<string, CandleSetting>;

/** The OHLC of one candle (a Bar has these and more). */
export interface Candle {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

export const realBody = (c: Candle): number => Math.abs(c.close - c.open);
export const upperShadow = (c: Candle): number => c.high - (c.close >= c.open ? c.close : c.open);
export const lowerShadow = (c: Candle): number => (c.close >= c.open ? c.open : c.close) - c.low;
/** +1 white (close >= open, as TA-Lib counts a flat candle), -1 black. */
export const color = (c: Candle): 1 | -1 => (c.close >= c.open ? 1 : -1);

function range(s: CandleSetting, c: Candle): number {
  switch (s.rangeType) {
    case 'realBody':
      return realBody(c);
    case 'highLow':
      return c.high - c.low;
    case 'shadows':
      return upperShadow(c) + lowerShadow(c);
  }
}

/**
 * TA_CANDLEAVERAGE for the candle at index k of `w` (oldest first): factor × the mean range of
 * w[k - avgPeriod .. k - 1], summed oldest first (a fixed order; TA-Lib keeps a running total,
 * which can differ from this in the last bits), or × the range of w[k] itself when avgPeriod is 0.
 * The caller guarantees k >= avgPeriod.
 */
export function candleAverage(s: CandleSetting, w: readonly Candle[], k: number): number {
  let base: number;
  if (s.avgPeriod === 0) {
    base = range(s, w[k] as Candle);
  } else {
    let sum = 0;
    for (let j = k - s.avgPeriod; j < k; j++) sum += range(s, w[j] as Candle);
    base = sum / s.avgPeriod;
  }
  return (s.factor * base) / (s.rangeType === 'shadows' ? 2 : 1);
}
