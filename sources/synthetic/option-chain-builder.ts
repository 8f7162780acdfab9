import { normCdf, normPdf } from '../../processors/math/black-scholes.ts';
import type { Rng } from '../../processors/math/rng.ts';
import type { OptionChainSnapshot, OptionContract } from '../../schemas/index.ts';
import { surfaceVol } from './iv-surface.ts';
import type { OptionChainConfig, SymbolSpec } from './synthetic-config.ts';
import { weeklyExpiries } from './weekly-expiries.ts';

const YEAR_MS = 365 * 86_400_000;

interface ContractState {
  oi: number;
  last: number | null;
}

/** The listed contracts' open interest and last price: [expiry, [strike index, call oi, call last, put oi, put last][]][]. */
export type OptionChainState = [number, [number, number, number | null, number, number | null][]][];

interface StrikeState {
  call: ContractState;
  put: ContractState;
}

/**
 * Option-chain snapshots of one underlying. Strikes: the multiples of strikeStep within
 * spot * (1 +- strikeRange); expiries: the next weekly Fridays. Mid = Black-Scholes at the surface
 * volatility (iv-surface.ts), so calls and puts of one strike satisfy put-call parity exactly at
 * mid; bid/ask are mid -+ a half spread rounded outwards to the option tick. Open interest follows
 * a mean-reverting random walk towards a target that peaks at the money; volume per interval is
 * Poisson in the open interest; `last` is a price inside the spread whenever volume > 0.
 */
export class OptionChainBuilder {
  /** expiry -> strike index -> state (small-integer inner keys hash fast). */
  private state_ = new Map<number, Map<number, StrikeState>>();
  private readonly invTick: number;

  constructor(
    private readonly spec: SymbolSpec,
    private readonly o: OptionChainConfig,
    private readonly rng: Rng,
  ) {
    this.invTick = Math.round(1 / spec.optionTick);
  }

  /** The per-contract state (the builder's Rng is the owner's, saved there). */
  state(): OptionChainState {
    return [...this.state_].map(([expiry, m]) => [expiry, [...m].map(([i, s]) => [i, s.call.oi, s.call.last, s.put.oi, s.put.last])]);
  }

  restore(s: OptionChainState): void {
    this.state_ = new Map(s.map(([expiry, rows]) => [expiry, new Map(rows.map(([i, co, cl, po, pl]) => [i, { call: { oi: co, last: cl }, put: { oi: po, last: pl } }]))]));
  }

  build(tsEvent: number, tsInit: number, spot: number): OptionChainSnapshot {
    const { o, spec } = this;
    const r = o.riskFreeRate;
    const step = spec.strikeStep;
    const lo = Math.ceil((spot * (1 - o.strikeRange)) / step - 1e-9);
    const hi = Math.floor((spot * (1 + o.strikeRange)) / step + 1e-9);
    const next = new Map<number, Map<number, StrikeState>>();
    const contracts: OptionContract[] = [];
    for (const expiry of weeklyExpiries(tsEvent, o.expiries, o.expiryHourUtc)) {
      const T = (expiry - tsEvent) / YEAR_MS;
      const sqrtT = Math.sqrt(T);
      const dfR = Math.exp(-r * T);
      const fwd = spot / dfR;
      const prev = this.state_.get(expiry);
      const states = new Map<number, StrikeState>();
      next.set(expiry, states);
      for (let i = lo; i <= hi; i++) {
        const strike = Math.round(i * step * 1e8) / 1e8;
        const k = Math.log(strike / fwd);
        const iv = surfaceVol(spec.volatility, o, T, k);
        // Black-Scholes (q = 0) once per strike for both rights: N(d1), N(d2), n(d1).
        const sd = iv * sqrtT;
        const d1 = -k / sd + 0.5 * sd;
        const nd1 = normCdf(d1);
        const nd2 = normCdf(d1 - sd);
        const gamma = normPdf(d1) / (spot * sd);
        const pvK = strike * dfR;
        const call = spot * nd1 - pvK * nd2;
        const put = pvK * (1 - nd2) - spot * (1 - nd1);
        const z = k / o.oiWidth;
        const target = o.oiAtm * Math.exp(-0.5 * z * z);
        const st = prev?.get(i) ?? this.fresh(target);
        states.set(i, st);
        contracts.push(this.contract(expiry, strike, 'C', call, iv, nd1, gamma, st.call, target, spot));
        contracts.push(this.contract(expiry, strike, 'P', put, iv, nd1 - 1, gamma, st.put, target, spot));
      }
    }
    // Contracts that left the listed range are forgotten (re-listed later with a fresh state).
    this.state_ = next;
    return { tsEvent, tsInit, underlying: spec.symbol, spot, contracts };
  }

  private fresh(target: number): StrikeState {
    const rng = this.rng;
    return {
      call: { oi: Math.round(target * (0.5 + rng.next())), last: null },
      put: { oi: Math.round(target * (0.5 + rng.next())), last: null },
    };
  }

  private contract(
    expiry: number, strike: number, right: 'C' | 'P', mid: number, iv: number, delta: number, gamma: number,
    st: ContractState, target: number, spot: number,
  ): OptionContract {
    const { o, rng, invTick } = this;
    st.oi = Math.max(0, Math.round(st.oi + o.oiReversion * (target - st.oi) + o.oiNoise * (target + 10) * rng.normal()));
    const half = Math.max(this.spec.optionTick, Math.min(o.spreadFraction * mid, o.maxSpreadOfSpot * spot));
    const bid = Math.max(0, Math.floor((mid - half) * invTick) / invTick);
    const ask = Math.ceil((mid + half) * invTick) / invTick;
    const volume = rng.poisson(o.volumePerOi * st.oi);
    if (volume > 0) st.last = Math.round((bid + rng.next() * (ask - bid)) * invTick) / invTick;
    return { expiry, strike, right, bid, ask, last: st.last, iv, delta, gamma, openInterest: st.oi, volume };
  }
}
