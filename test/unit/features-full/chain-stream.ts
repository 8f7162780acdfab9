/**
 * A stream of synthetic option-chain snapshots (one every 3 minutes, 2 expiries × 7 strikes ×
 * C/P, some without IV or gamma) and the as-of lookup the feature state is given.
 */
import type { OptionChainSnapshot, OptionContract } from '../../../schemas/option-chain-snapshot.ts';
import { Rng } from '../../../processors/math/rng.ts';

const DAY = 86_400_000;

export function chainStream(from: number, to: number, seed = 3, spotAt: (t: number) => number = () => 100): OptionChainSnapshot[] {
  const rng = new Rng(seed);
  const out: OptionChainSnapshot[] = [];
  for (let t = from; t <= to; t += 180_000) {
    const spot = spotAt(t);
    const e1 = from + 3 * DAY;
    const contracts: OptionContract[] = [];
    for (const expiry of [e1, e1 + 7 * DAY]) {
      for (let k = -3; k <= 3; k++) {
        const strike = Math.round(spot) + 2 * k;
        for (const right of ['C', 'P'] as const) {
          const hasIv = rng.next() > 0.2;
          contracts.push({
            expiry, strike, right, bid: null, ask: null, last: 1 + rng.next(),
            iv: hasIv ? 0.3 + 0.02 * k * (right === 'P' ? -1 : 1) + 0.01 * rng.next() : null,
            delta: null, gamma: null, openInterest: Math.round(100 + 900 * rng.next()), volume: Math.round(50 * rng.next()),
          });
        }
      }
    }
    out.push({ tsEvent: t, tsInit: t + 1_000, underlying: 'X', spot, contracts });
  }
  return out;
}

/** chainAsOf over a time-ordered list: the latest snapshot with tsInit <= t (the same object each time). */
export function asOf(chains: readonly OptionChainSnapshot[]): (t: number) => OptionChainSnapshot | null {
  return (t) => {
    let lo = 0, hi = chains.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((chains[mid] as OptionChainSnapshot).tsInit <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? null : (chains[lo - 1] as OptionChainSnapshot);
  };
}
