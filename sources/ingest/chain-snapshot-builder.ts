import { bsGreeks, impliedVol } from '../../processors/math/black-scholes.ts';
import type { OptionChainSnapshot, OptionContract } from '../../schemas/index.ts';
import type { OptionRow } from './option-row.ts';
import { reject, type Parsed } from './parsed.ts';

const YEAR_MS = 365 * 86_400_000;

export interface PricingAssumptions {
  /** Continuously compounded risk-free rate used to solve missing IVs (default 0). */
  rate: number;
  /** Continuous dividend yield (default 0). */
  dividendYield: number;
}

/**
 * Turns the rows of one (snapshot time, underlying) into an OptionChainSnapshot.
 * - spot: the first finite positive spot among the rows; none gives `spot-not-positive`.
 * - IV unit, decided once per file on the first snapshot that has IVs: the median positive IV
 *   above 3 means percent (divide by 100), else fraction (a median of 300 % as a fraction, or
 *   3 % as percent, is not a market).
 * - missing IV (absent or 0) is solved from the last price with Black-Scholes at `rate` and
 *   `dividendYield`, T = (expiry - snapshot time) / 365 days; null when nothing fits. Missing
 *   delta/gamma are filled from the IV; greeks in the file are kept as they are.
 * Contracts are sorted by expiry, strike, right; a repeated contract is a `duplicate` row.
 */
export class ChainSnapshotBuilder {
  ivScale: number | null = null;
  ivComputed = 0;
  greeksComputed = 0;

  constructor(private readonly pricing: PricingAssumptions) {}

  build(ts: number, underlying: string, rows: readonly OptionRow[], onRowReject: (reason: string) => void): Parsed<OptionChainSnapshot> {
    const spot = rows.find((r) => r.spot !== null && Number.isFinite(r.spot) && r.spot > 0)?.spot ?? null;
    if (spot === null) return reject('spot-not-positive');
    if (this.ivScale === null) {
      const ivs = rows.map((r) => r.ivRaw).filter((v): v is number => v !== null && v > 0).sort((a, b) => a - b);
      if (ivs.length > 0) this.ivScale = (ivs[Math.floor(ivs.length / 2)] as number) > 3 ? 0.01 : 1;
    }
    const seen = new Set<string>();
    const contracts: OptionContract[] = [];
    for (const r of rows) {
      const id = `${r.expiry}|${r.strike}|${r.right}`;
      if (seen.has(id)) {
        onRowReject('duplicate');
        continue;
      }
      seen.add(id);
      contracts.push(this.contract(r, ts, spot));
    }
    contracts.sort((a, b) => a.expiry - b.expiry || a.strike - b.strike || (a.right < b.right ? -1 : a.right > b.right ? 1 : 0));
    return { ok: true, value: { tsEvent: ts, tsInit: ts, underlying, spot, contracts } };
  }

  private contract(r: OptionRow, ts: number, spot: number): OptionContract {
    const T = (r.expiry - ts) / YEAR_MS;
    const { rate, dividendYield } = this.pricing;
    let iv = r.ivRaw !== null ? r.ivRaw * (this.ivScale ?? 1) : null;
    if (iv === null && r.last !== null && T > 0) {
      iv = impliedVol(r.right, r.last, spot, r.strike, T, rate, dividendYield);
      if (iv !== null) this.ivComputed++;
    }
    let { delta, gamma } = r;
    if ((delta === null || gamma === null) && iv !== null && T > 0) {
      const g = bsGreeks(r.right, spot, r.strike, T, rate, iv, dividendYield);
      delta ??= g.delta;
      gamma ??= g.gamma;
      this.greeksComputed++;
    }
    return { expiry: r.expiry, strike: r.strike, right: r.right, bid: r.bid, ask: r.ask, last: r.last, iv, delta, gamma, openInterest: r.openInterest, volume: r.volume };
  }
}
