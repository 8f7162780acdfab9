/**
 * Labels: the direction of the forward log return over a horizon, with a FLAT band. Labels look
 * into the future by definition, so they exist only in replay (dataset export, backtest, Bayes
 * AUC), never in the live graph.
 */
export interface LabelConfig {
  /** Horizon in bars of the signal interval (default 6 x 5m = 30 minutes). */
  horizonBars: number;
  /** |forward log return| <= flatBand is FLAT (default 0.0015 = 15 bp). */
  flatBand: number;
}

export const DEFAULT_LABEL_CONFIG: LabelConfig = { horizonBars: 6, flatBand: 0.0015 };

/** 0 = UP, 1 = FLAT, 2 = DOWN (CLASSES order). */
export function classify(forwardLogReturn: number, flatBand: number): 0 | 1 | 2 {
  if (forwardLogReturn > flatBand) return 0;
  if (forwardLogReturn < -flatBand) return 2;
  return 1;
}

const FIVE_MINUTES = 5 * 60_000;

/**
 * The default labels at a signal interval of `intervalMs`: the horizon stays 6 bars, and the FLAT
 * band scales with the square root of the bar length (15 bp at 5m, about 2.5 % at 1d), so that
 * under diffusive prices FLAT keeps about the same share of rows at every interval instead of
 * vanishing on daily bars. At 5m it is DEFAULT_LABEL_CONFIG exactly.
 */
export function labelConfigFor(intervalMs: number): LabelConfig {
  if (intervalMs === FIVE_MINUTES) return DEFAULT_LABEL_CONFIG;
  return { horizonBars: DEFAULT_LABEL_CONFIG.horizonBars, flatBand: DEFAULT_LABEL_CONFIG.flatBand * Math.sqrt(intervalMs / FIVE_MINUTES) };
}
