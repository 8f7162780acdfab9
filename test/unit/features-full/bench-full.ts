/**
 * Benchmark (measures, asserts nothing): µs per 5m bar for CORE_FEATURE_SET and FULL_FEATURE_SET,
 * counting everything one 5m bar brings: five 1m bars, the 5m bar, the 15m/1h bars when due, and
 * one vector() against a NEW chain snapshot object each bar (no cache hit: the worst case).
 *   node --import tsx test/unit/features-full/bench-full.ts
 */
import type { Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot, OptionContract } from '../../../schemas/option-chain-snapshot.ts';
import { CORE_FEATURE_SET } from '../../../processors/features/full/core-feature-set.ts';
import type { FeatureSetDef } from '../../../processors/features/full/feature-set-def.ts';
import { FULL_FEATURE_SET } from '../../../processors/features/full/full-feature-set.ts';
import { bsPrice } from '../../../processors/math/black-scholes.ts';
import { multiBars } from './multi-bars.ts';

const DAY = 86_400_000;
const bars = multiBars(10 * 24 * 60, 21); // 10 days: 2880 5m bars

/** `n` contracts over `expiries` expiries around spot, IV quoted or not, no gamma (computed). */
function makeChain(t: number, spot: number, n: number, expiries: number, withIv: boolean): OptionChainSnapshot {
  const contracts: OptionContract[] = [];
  const perExpiry = Math.ceil(n / expiries);
  for (let e = 0; e < expiries && contracts.length < n; e++) {
    const expiry = Math.floor(t / DAY) * DAY + (e * 7 + 2) * DAY;
    const strikes = Math.ceil(perExpiry / 2);
    for (let k = 0; k < strikes && contracts.length < n; k++) {
      const strike = Math.round(spot * (0.8 + (0.4 * k) / strikes) * 10) / 10;
      for (const right of ['C', 'P'] as const) {
        if (contracts.length >= n) break;
        const iv = 0.25 + 0.1 * Math.abs(strike / spot - 1);
        const last = bsPrice(right, spot, strike, (expiry - t) / (365 * DAY), 0, iv);
        contracts.push({ expiry, strike, right, bid: null, ask: null, last: last > 0.01 ? last : 0.01, iv: withIv ? iv : null, delta: null, gamma: null, openInterest: 100 + k * 3, volume: 10 + k });
      }
    }
  }
  return { tsEvent: t, tsInit: t, underlying: 'X', spot, contracts };
}

function bench(set: FeatureSetDef, contracts: number, withIv: boolean): number {
  const fives = bars.filter((b) => b.interval === '5m');
  const chainByEnd = new Map<number, OptionChainSnapshot>(fives.map((b) => [b.end, makeChain(b.end - 60_000, b.close, contracts, contracts > 100 ? 4 : 1, withIv)]));
  const chainAsOf = (t: number): OptionChainSnapshot | null => chainByEnd.get(t - (t % 300_000)) ?? null;
  const run = (input: readonly Bar[]): void => {
    const st = set.create('X');
    for (const b of input) {
      st.onBar(b);
      if (b.interval === '5m') st.vector(chainAsOf, b.end);
    }
  };
  run(bars.slice(0, 2000)); // warm the JIT
  const t0 = process.hrtime.bigint();
  run(bars);
  const ns = Number(process.hrtime.bigint() - t0);
  return ns / 1000 / fives.length;
}

console.log('set       contracts  IV quoted  µs per 5m bar');
for (const [set, n, iv] of [
  [CORE_FEATURE_SET, 56, true], [FULL_FEATURE_SET, 0, true], [FULL_FEATURE_SET, 56, true],
  [CORE_FEATURE_SET, 535, true], [FULL_FEATURE_SET, 535, true], [FULL_FEATURE_SET, 535, false],
] as const) {
  console.log(`${set.id.padEnd(9)} ${String(n).padStart(9)}  ${String(iv).padStart(9)}  ${bench(set, n, iv).toFixed(1).padStart(13)}`);
}
