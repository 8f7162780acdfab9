import jStat from 'jstat';

/**
 * Probabilistic and deflated Sharpe ratios (Bailey & López de Prado, "The Sharpe Ratio Efficient
 * Frontier", 2012, and "The Deflated Sharpe Ratio", 2014). Everything here is per period (not
 * annualised): sr = mean / std of the n period returns, skew and kurtosis (not excess) from the
 * same population moments.
 *   PSR(sr*) = Phi( (sr - sr*) * sqrt(n - 1) / sqrt(1 - skew * sr + (kurt - 1) / 4 * sr^2) )
 *   DSR      = PSR(sr0),  sr0 = sd(trial srs) * ((1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e)))
 * with g the Euler-Mascheroni constant and N the number of trials.
 */
export interface ReturnMoments {
  n: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  skew: number;
  /** Non-excess kurtosis (3 for a normal distribution). */
  kurtosis: number;
}

/** Moments of the returns, sums in array order; null with fewer than two returns or zero spread. */
export function returnMoments(returns: readonly number[]): ReturnMoments | null {
  const n = returns.length;
  if (n < 2) return null;
  let sum = 0;
  for (const r of returns) sum += r;
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const r of returns) {
    const d = r - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  if (m2 === 0) return null;
  const std = Math.sqrt(m2);
  return { n, mean, std, skew: m3 / (std * std * std), kurtosis: m4 / (m2 * m2) };
}

export function normalCdf(x: number): number {
  return jStat.normal.cdf(x, 0, 1);
}

export function normalQuantile(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

/** PSR against the benchmark per-period Sharpe `srStar`; null when undefined (n < 3, no spread, negative variance term). */
export function probabilisticSharpe(m: ReturnMoments | null, srStar = 0): number | null {
  if (!m || m.n < 3) return null;
  const sr = m.mean / m.std;
  const v = 1 - m.skew * sr + ((m.kurtosis - 1) / 4) * sr * sr;
  if (!(v > 0)) return null;
  return normalCdf(((sr - srStar) * Math.sqrt(m.n - 1)) / Math.sqrt(v));
}

const EULER_GAMMA = 0.5772156649015329;

/** Expected maximum per-period Sharpe of N unskilled trials whose Sharpes spread with `sd`. */
export function expectedMaxSharpe(trials: number, sd: number): number {
  if (trials < 2) return 0;
  return sd * ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) + EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E)));
}

/** What the trials ledger says: the number of trials and the spread of their (annualised) Sharpes. */
export interface TrialStats {
  /** Distinct trials (a `tickflow tune` ledger has one line per trial and rung). */
  count: number;
  /** Sample standard deviation of the trials' annualised Sharpe ratios; null when the ledger has none. */
  sharpeSd: number | null;
}

export interface DeflatedSharpe {
  value: number | null;
  /** Why value is null; null when it is known. */
  reason: string | null;
  /** Where N and the spread of the trials' Sharpe ratios came from; null when value is null. */
  basis: string | null;
}

/**
 * DSR of the returns given the trials; annualised trial Sharpes are brought to per period with
 * barsPerYear. A ledger without Sharpe ratios (a `tickflow tune` ledger scores trials by purged-CV
 * log loss, not by trading them) gives N only; the spread is then the sampling standard deviation of
 * a per-period Sharpe estimated over the same n periods by a strategy with no skill,
 * sqrt(1 / (n - 1)) (the estimator's variance (1 - skew SR + (kurt - 1)/4 SR^2) / (n - 1) at SR = 0;
 * Lo 2002, Bailey & López de Prado 2012): the expected best of N unskilled trials, as in Bailey,
 * Borwein, López de Prado & Zhu 2014. Trials of one search are correlated, so this spread and N
 * overstate the luck available, and the DSR errs low (conservative).
 */
export function deflatedSharpe(m: ReturnMoments | null, trials: TrialStats | null, barsPerYear: number): DeflatedSharpe {
  if (!trials) return { value: null, reason: 'unknown: no trials ledger given (--trials <trials.jsonl> of the tickflow tune run behind the model)', basis: null };
  if (trials.count < 1) return { value: null, reason: 'unknown: the trials ledger holds no trial', basis: null };
  if (!m || m.n < 3) return { value: null, reason: 'undefined: fewer than three returns or no spread', basis: null };
  const fromLedger = trials.sharpeSd !== null;
  const sd = fromLedger ? (trials.sharpeSd as number) / Math.sqrt(barsPerYear) : Math.sqrt(1 / (m.n - 1));
  const value = probabilisticSharpe(m, expectedMaxSharpe(trials.count, sd));
  if (value === null) return { value: null, reason: 'undefined: the Sharpe ratio\'s variance term is not positive', basis: null };
  const basis = fromLedger
    ? `N = ${trials.count} trials; spread of their Sharpe ratios from the ledger`
    : `N = ${trials.count} trials from the ledger, which has no Sharpe per trial; spread = the no-skill sampling sd of a Sharpe over ${m.n} periods, sqrt(1/(n-1))`;
  return { value, reason: null, basis };
}

/**
 * Parses a trials ledger (JSON lines, one evaluation per line, as `tickflow tune` appends them to
 * trials.jsonl). A line with an integer `trial` field is an evaluation of that trial (tune writes one
 * per successive-halving rung): N counts distinct trials; lines without one count one trial each. A
 * numeric `sharpe` field (annualised) feeds the spread, one figure per trial (its last line's).
 * Throws on a line that is not a JSON object, naming its line number.
 */
export function parseTrialsLedger(text: string): TrialStats {
  const byTrial = new Map<number, number | null>();
  const loose: (number | null)[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`trials ledger line ${i + 1} is not JSON`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error(`trials ledger line ${i + 1} is not a JSON object`);
    const r = row as Record<string, unknown>;
    const s = typeof r['sharpe'] === 'number' && Number.isFinite(r['sharpe']) ? r['sharpe'] : null;
    const t = r['trial'];
    if (typeof t === 'number' && Number.isInteger(t)) byTrial.set(t, s ?? byTrial.get(t) ?? null);
    else loose.push(s);
  }
  const perTrial = [...[...byTrial.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]), ...loose];
  const count = perTrial.length;
  const sharpes = perTrial.filter((x): x is number => x !== null);
  if (sharpes.length < 2) return { count, sharpeSd: null };
  let sum = 0;
  for (const x of sharpes) sum += x;
  const mean = sum / sharpes.length;
  let sq = 0;
  for (const x of sharpes) sq += (x - mean) * (x - mean);
  return { count, sharpeSd: Math.sqrt(sq / (sharpes.length - 1)) };
}
