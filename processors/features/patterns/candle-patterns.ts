import { CANDLE_SETTINGS as S, candleAverage as avg, color, lowerShadow, realBody, upperShadow, type Candle } from './candle-settings.ts';

/** Penetration of the morning and evening star's third candle into the first's body (TA-Lib's default). */
export const STAR_PENETRATION = 0.3;
/** Bars of the range that a breakout leaves. */
export const BREAKOUT_BARS = 20;

export interface PatternDef {
  readonly name: string;
  /** What the pattern is usually read as; the statistics measure what actually followed. */
  readonly bias: 'bullish' | 'bearish' | 'neutral';
  /** Where the definition comes from: a TA-Lib function, or tickflow (docs/patterns.md). */
  readonly source: string;
  /** Bars before the current one the pattern needs (TA-Lib's lookback for TA-Lib patterns). */
  readonly lookback: number;
  /** Whether the pattern ends at the last candle of w (oldest first, w.length > lookback). */
  detect(w: readonly Candle[]): boolean;
}

const maxOC = (c: Candle): number => Math.max(c.open, c.close);
const minOC = (c: Candle): number => Math.min(c.open, c.close);

/** The candle k bars back from the last one of w, and its index. */
const back = (w: readonly Candle[], k: number): [Candle, number] => [w[w.length - 1 - k] as Candle, w.length - 1 - k];

/**
 * Small body, one long and one very short shadow: the shared core of the hammer family
 * (TA-Lib ta_CDLHAMMER.c and siblings: body < BodyShort, long shadow > ShadowLong, other shadow
 * < ShadowVeryShort, each against the candle's own averages).
 */
function hammerShape(w: readonly Candle[], longLower: boolean): boolean {
  const [c, i] = back(w, 0);
  const long = longLower ? lowerShadow(c) : upperShadow(c);
  const short = longLower ? upperShadow(c) : lowerShadow(c);
  return realBody(c) < avg(S.bodyShort, w, i) && long > avg(S.shadowLong, w, i) && short < avg(S.shadowVeryShort, w, i);
}

function star(w: readonly Candle[], bull: boolean): boolean {
  const [c1, i1] = back(w, 2);
  const [c2, i2] = back(w, 1);
  const [c3, i3] = back(w, 0);
  const sign = bull ? 1 : -1;
  const gap = bull ? maxOC(c2) < minOC(c1) : minOC(c2) > maxOC(c1);
  const penetrates = bull ? c3.close > c1.close + realBody(c1) * STAR_PENETRATION : c3.close < c1.close - realBody(c1) * STAR_PENETRATION;
  return (
    color(c1) === -sign &&
    color(c3) === sign &&
    gap &&
    penetrates &&
    realBody(c1) > avg(S.bodyLong, w, i1) &&
    realBody(c2) <= avg(S.bodyShort, w, i2) &&
    realBody(c3) > avg(S.bodyShort, w, i3)
  );
}

function engulfing(w: readonly Candle[], bull: boolean): boolean {
  const [p] = back(w, 1);
  const [c] = back(w, 0);
  if (bull) return color(c) === 1 && color(p) === -1 && ((c.close >= p.open && c.open < p.close) || (c.close > p.open && c.open <= p.close));
  return color(c) === -1 && color(p) === 1 && ((c.open >= p.close && c.close < p.open) || (c.open > p.close && c.close <= p.open));
}

/**
 * The detected patterns, in feature-column order: append, never reorder. Definitions in
 * docs/patterns.md; the TA-Lib ones follow the C source named in `source` condition by condition.
 */
export const PATTERNS: readonly PatternDef[] = [
  {
    name: 'hammer', bias: 'bullish', source: 'TA-Lib CDLHAMMER', lookback: 11,
    detect: (w) => {
      const [c] = back(w, 0);
      const [p, ip] = back(w, 1);
      return hammerShape(w, true) && minOC(c) <= p.low + avg(S.near, w, ip);
    },
  },
  {
    name: 'inverted_hammer', bias: 'bullish', source: 'TA-Lib CDLINVERTEDHAMMER', lookback: 11,
    detect: (w) => hammerShape(w, false) && maxOC(back(w, 0)[0]) < minOC(back(w, 1)[0]),
  },
  {
    name: 'hanging_man', bias: 'bearish', source: 'TA-Lib CDLHANGINGMAN', lookback: 11,
    detect: (w) => {
      const [c] = back(w, 0);
      const [p, ip] = back(w, 1);
      return hammerShape(w, true) && minOC(c) >= p.high - avg(S.near, w, ip);
    },
  },
  {
    name: 'shooting_star', bias: 'bearish', source: 'TA-Lib CDLSHOOTINGSTAR', lookback: 11,
    detect: (w) => hammerShape(w, false) && minOC(back(w, 0)[0]) > maxOC(back(w, 1)[0]),
  },
  {
    name: 'doji', bias: 'neutral', source: 'TA-Lib CDLDOJI', lookback: 10,
    detect: (w) => {
      const [c, i] = back(w, 0);
      return realBody(c) <= avg(S.bodyDoji, w, i);
    },
  },
  { name: 'engulfing_bull', bias: 'bullish', source: 'TA-Lib CDLENGULFING > 0', lookback: 2, detect: (w) => engulfing(w, true) },
  { name: 'engulfing_bear', bias: 'bearish', source: 'TA-Lib CDLENGULFING < 0', lookback: 2, detect: (w) => engulfing(w, false) },
  {
    name: 'three_white_soldiers', bias: 'bullish', source: 'TA-Lib CDL3WHITESOLDIERS', lookback: 12,
    detect: (w) => {
      const [a, ia] = back(w, 2);
      const [b, ib] = back(w, 1);
      const [c, ic] = back(w, 0);
      return (
        color(a) === 1 && upperShadow(a) < avg(S.shadowVeryShort, w, ia) &&
        color(b) === 1 && upperShadow(b) < avg(S.shadowVeryShort, w, ib) &&
        color(c) === 1 && upperShadow(c) < avg(S.shadowVeryShort, w, ic) &&
        c.close > b.close && b.close > a.close &&
        b.open > a.open && b.open <= a.close + avg(S.near, w, ia) &&
        c.open > b.open && c.open <= b.close + avg(S.near, w, ib) &&
        realBody(b) > realBody(a) - avg(S.far, w, ia) &&
        realBody(c) > realBody(b) - avg(S.far, w, ib) &&
        realBody(c) > avg(S.bodyShort, w, ic)
      );
    },
  },
  {
    name: 'three_black_crows', bias: 'bearish', source: 'TA-Lib CDL3BLACKCROWS', lookback: 13,
    detect: (w) => {
      const [z] = back(w, 3);
      const [a, ia] = back(w, 2);
      const [b, ib] = back(w, 1);
      const [c, ic] = back(w, 0);
      return (
        color(z) === 1 && color(a) === -1 && color(b) === -1 && color(c) === -1 &&
        b.open < a.open && b.open > a.close &&
        c.open < b.open && c.open > b.close &&
        z.high > a.close &&
        a.close > b.close && b.close > c.close &&
        lowerShadow(a) < avg(S.shadowVeryShort, w, ia) &&
        lowerShadow(b) < avg(S.shadowVeryShort, w, ib) &&
        lowerShadow(c) < avg(S.shadowVeryShort, w, ic)
      );
    },
  },
  { name: 'morning_star', bias: 'bullish', source: 'TA-Lib CDLMORNINGSTAR (penetration 0.3)', lookback: 12, detect: (w) => star(w, true) },
  { name: 'evening_star', bias: 'bearish', source: 'TA-Lib CDLEVENINGSTAR (penetration 0.3)', lookback: 12, detect: (w) => star(w, false) },
  {
    name: 'inside_bar', bias: 'neutral', source: 'tickflow', lookback: 1,
    detect: (w) => {
      const [p] = back(w, 1);
      const [c] = back(w, 0);
      return c.high < p.high && c.low > p.low;
    },
  },
  {
    name: 'outside_bar', bias: 'neutral', source: 'tickflow', lookback: 1,
    detect: (w) => {
      const [p] = back(w, 1);
      const [c] = back(w, 0);
      return c.high > p.high && c.low < p.low;
    },
  },
  {
    name: `breakout_up_${BREAKOUT_BARS}`, bias: 'bullish', source: 'tickflow', lookback: BREAKOUT_BARS,
    detect: (w) => {
      let hi = Number.NEGATIVE_INFINITY;
      for (let k = 1; k <= BREAKOUT_BARS; k++) hi = Math.max(hi, back(w, k)[0].high);
      return back(w, 0)[0].close > hi;
    },
  },
  {
    name: `breakout_down_${BREAKOUT_BARS}`, bias: 'bearish', source: 'tickflow', lookback: BREAKOUT_BARS,
    detect: (w) => {
      let lo = Number.POSITIVE_INFINITY;
      for (let k = 1; k <= BREAKOUT_BARS; k++) lo = Math.min(lo, back(w, k)[0].low);
      return back(w, 0)[0].close < lo;
    },
  },
];

export const PATTERN_NAMES: readonly string[] = PATTERNS.map((p) => p.name);
/** Candles a detector window keeps: the longest lookback plus the current one. */
export const PATTERN_WINDOW = Math.max(...PATTERNS.map((p) => p.lookback)) + 1;

/**
 * Which patterns end at the last candle of w (oldest first): one boolean per PATTERNS entry, false
 * while w is shorter than that pattern's lookback + 1 (TA-Lib gives 0 there too).
 */
export function detectPatterns(w: readonly Candle[]): boolean[] {
  return PATTERNS.map((p) => w.length > p.lookback && p.detect(w));
}
