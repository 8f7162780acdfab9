// The generator's true class probabilities (the oracle) for each labelled bar of a bench market,
// keyed by symbol and barEnd, so bench/train.ts can score the oracle on the very rows a model was
// tested on. The market is regenerated in memory (same config as `tickflow generate --symbols
// BTC,ETH --days D --seed S --signal-strength K`), its truth turned into probabilities by
// bayesDataset (sources/synthetic/bayes-auc.ts, the same computation as `generate`'s bayesAuc),
// and cached beside the market as oracle.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bayesDataset, type ForwardLaw } from '../sources/synthetic/bayes-auc.ts';
import { syntheticConfig } from '../sources/synthetic/synthetic-config.ts';
import { SyntheticMarket } from '../sources/synthetic/synthetic-market.ts';
import { macroAuc } from '../processors/math/auc.ts';

export interface OracleTable {
  /** The whole market's Bayes AUC recomputed from the regenerated truth (must equal generate's). */
  bayesAuc: number;
  /** `${symbol}|${barEnd}` -> [pUp, pFlat, pDown] and the generator's own label of that bar. */
  byRow: Map<string, { probs: [number, number, number]; label: number; knownDrift: number; symbol: string }>;
  /** Per symbol, the forward law the probabilities come from (D109's feature-achievable oracle re-uses it). */
  laws: Record<string, ForwardLaw>;
}

interface Cached {
  bayesAuc: number;
  keys: string[];
  probs: [number, number, number][];
  labels: number[];
  knownDrift?: number[];
  laws?: Record<string, ForwardLaw>;
}

export function oracleTable(dir: string, market: { days: number; seed: number; strength: number; symbols: string[] }): OracleTable {
  const file = join(dir, 'oracle.json');
  let c: Cached;
  const cached = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Cached) : null;
  // Caches written before D109 lack the drift and the laws: recomputed.
  if (cached !== null && cached.knownDrift !== undefined && cached.laws !== undefined) c = cached;
  else {
    const config = syntheticConfig({ symbols: market.symbols.map((symbol) => ({ symbol })), days: market.days, seed: market.seed, signalStrength: market.strength, signalChange: null });
    const m = new SyntheticMarket(config);
    for (const _ of m.events()) void _;
    const truth = m.truth();
    const d = bayesDataset(truth);
    const first = new Map(truth.symbols.map((s) => [s.symbol, s.firstBarStart]));
    // Bar k of a symbol covers [firstBarStart + k B, + B): tickflow's bar of it ends at (k + 1) B.
    const keys = d.bar.map((k, i) => `${d.symbol[i] as string}|${(first.get(d.symbol[i] as string) as number) + (k + 1) * truth.barMs}`);
    c = { bayesAuc: macroAuc(d.probs, d.labels) ?? Number.NaN, keys, probs: d.probs, labels: d.labels, knownDrift: d.knownDrift, laws: d.laws };
    writeFileSync(file, JSON.stringify(c));
  }
  const byRow: OracleTable['byRow'] = new Map();
  const drift = c.knownDrift as number[];
  c.keys.forEach((k, i) => byRow.set(k, { probs: c.probs[i] as [number, number, number], label: c.labels[i] as number, knownDrift: drift[i] as number, symbol: k.slice(0, k.indexOf('|')) }));
  return { bayesAuc: c.bayesAuc, byRow, laws: c.laws as Record<string, ForwardLaw> };
}
