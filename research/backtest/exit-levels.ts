import type { Bar } from '../../schemas/index.ts';

/**
 * Stop-loss and take-profit rules, until signals carry their own levels: a fixed fraction of the
 * entry price, or a multiple of the average true range of the bars before the entry (known when
 * the signal fired). null = no such exit. When both a fraction and an ATR multiple are set, the
 * nearer level applies.
 */
export interface ExitRules {
  stopPct: number | null;
  targetPct: number | null;
  stopAtr: number | null;
  targetAtr: number | null;
  /** Bars in the ATR average. */
  atrBars: number;
}

export const NO_EXITS: Readonly<ExitRules> = Object.freeze({ stopPct: null, targetPct: null, stopAtr: null, targetAtr: null, atrBars: 14 });

/**
 * Mean true range of the `n` bars before index `idx` (max(high, prev close) - min(low, prev close));
 * null with fewer than n bars before it.
 */
export function averageTrueRange(bars: readonly Bar[], idx: number, n: number): number | null {
  if (idx < n + 1) return null;
  let sum = 0;
  for (let i = idx - n; i < idx; i++) {
    const b = bars[i] as Bar;
    const prev = (bars[i - 1] as Bar).close;
    sum += Math.max(b.high, prev) - Math.min(b.low, prev);
  }
  return sum / n;
}

function distance(entry: number, pct: number | null, atrMult: number | null, atr: number | null): number | null {
  const byPct = pct === null ? null : pct * entry;
  const byAtr = atrMult === null || atr === null ? null : atrMult * atr;
  if (byPct === null) return byAtr;
  if (byAtr === null) return byPct;
  return Math.min(byPct, byAtr);
}

/** Stop and target prices of a position entered at `entry` in direction `dir`. */
export function exitLevels(dir: 1 | -1, entry: number, rules: ExitRules, atr: number | null): { stop: number | null; target: number | null } {
  const s = distance(entry, rules.stopPct, rules.stopAtr, atr);
  const t = distance(entry, rules.targetPct, rules.targetAtr, atr);
  return { stop: s === null ? null : entry - dir * s, target: t === null ? null : entry + dir * t };
}

/**
 * The exit a bar triggers, checked conservatively: a stop touched by the bar's low (long) or high
 * (short) fills at the stop, or at the open when the bar opened beyond it; a target likewise
 * (at the target, or the open when it gapped past it, which is better). Both touched in one bar:
 * the stop, the worse of the two.
 */
export function touchedExit(dir: 1 | -1, bar: Pick<Bar, 'open' | 'high' | 'low'>, stop: number | null, target: number | null): { price: number; reason: 'stop' | 'target' } | null {
  const adverse = dir === 1 ? bar.low : bar.high;
  const favourable = dir === 1 ? bar.high : bar.low;
  if (stop !== null && dir * (adverse - stop) <= 0) {
    return { price: dir * (bar.open - stop) <= 0 ? bar.open : stop, reason: 'stop' };
  }
  if (target !== null && dir * (favourable - target) >= 0) {
    return { price: dir * (bar.open - target) >= 0 ? bar.open : target, reason: 'target' };
  }
  return null;
}
