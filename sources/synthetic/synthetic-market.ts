/**
 * SYNTHETIC MARKET — seeded trades and option chains with a planted, measurable signal.
 * (Same content, with the reasoning, in docs/synthetic-market.md.)
 *
 * Notation: t calendar time in ms; B = barMs (5 min); L = signalLookbackBars (6); s =
 * signalStrength; kappa = driftScale; bar j = [jB, (j+1)B) on tsEvent, UTC-aligned.
 *
 * Latent log price of each symbol (latent-price.ts), in calendar time:
 *   x(t2) - x(t1) = integral of mu over (t1, t2] + sigma (W(t2) - W(t1)) + sum of jumps in (t1, t2]
 *   sigma = volatility / sqrt(365 days); jumps: Poisson with jumpsPerDay per day, sizes N(0, jumpStd^2).
 *   mu(t) = mu_j on bar j, mu_j = s * kappa * sigma * sqrt(B) * mean(OFI_{j-L}, ..., OFI_{j-1}) / B
 *   (OFIs of bars before the start count as 0). The return distribution per unit of calendar time
 *   does not depend on the regime or the hour, so at s = 0 x is a driftless process with iid
 *   increments and no label (UP/FLAT/DOWN) is predictable from anything.
 *
 * Trades (trade-arrivals.ts, symbol-simulator.ts):
 *   arrivals: Poisson with intensity base * m(regime(t)) * (1 + A cos(2 pi (t - peakHour) / 1 day)),
 *     regime a quiet/active continuous-time Markov chain (mean sojourns quietMeanMinutes,
 *     activeMeanMinutes), m = quietRate / activeRate. Activity changes when trades happen, never
 *     the price path.
 *   price = round_to_tick(exp(x(t))), tsEvent = floor(t), tradeId = 1, 2, ... per symbol.
 *   side: BUY with probability (1 + a_j) / 2, a_j ~ Uniform(-maxImbalance, maxImbalance) iid per bar.
 *   size: z_n = phi z_{n-1} + step(regime) eps_n (a stationary walk in trade time),
 *     size = max(lot, round_to_lot(meanTradeSize * sizeMult(regime) * exp(z_n - var_z / 2))).
 *   OFI_j = (buyVolume - sellVolume) / volume over bar j's good, on-time trades (bad and late
 *     trades never reach tickflow's bars, so they are excluded from the planted observable too).
 *   tsInit = tsEvent + tradeMinMs + floor(Exp(mean tradeMeanExtraMs)): slightly out of order.
 *   With probability badTradeRate a trade gets price 0, -price, size 0 or -size (dead letters);
 *   with probability lateTradeRate it is delayed by U[lateMinMs, lateMaxMs] (late events).
 *
 * Option chains (option-chain-builder.ts, iv-surface.ts): every options.intervalMs from start, per
 *   underlying, spot = round_to_tick(exp(x(t))); Black-Scholes mids from a deterministic IV
 *   surface with skew and term structure; no planted information.
 *
 * Signal: the expected forward return over bars k+1..k+h is sum_m w_m OFI_m, with weights known in
 *   closed form (bayes-auc.ts); at the close of bar k the OFIs up to k are known, later ones are not.
 *   bayesAuc() turns this into the AUC of the true class probabilities.
 *
 * Delivery order: events are merged across symbols and topics by (tsInit, generation sequence):
 *   an event is released once no symbol can still produce an earlier tsInit (each symbol's frontier
 *   = its next tsEvent + minimum latency). No wall clock, no Math.random: one Rng(seed), forked
 *   per symbol and per purpose.
 */
import { fromExactJson, toExactJson } from '../../lib/exact-json.ts';
import { Rng } from '../../processors/math/rng.ts';
import { bayesAuc, type BayesAucOptions } from './bayes-auc.ts';
import { EventQueue } from './event-queue.ts';
import { generatorCodeVersion } from './generator-version.ts';
import type { MarketEvent } from './market-event.ts';
import { DEFAULT_SYNTHETIC_CONFIG, type SyntheticConfig } from './synthetic-config.ts';
import type { SyntheticTruth } from './synthetic-truth.ts';
import { SymbolSimulator, type SymbolSimulatorState } from './symbol-simulator.ts';

/** A market stream's saved state (MarketStream.snapshot()), bound to the generator's code and config. */
interface MarketStreamState {
  code: string;
  config: string;
  seq: number;
  taken: number;
  queue: { items: MarketEvent[]; ts: number[]; seq: number[] };
  sims: SymbolSimulatorState[];
}

/**
 * The market's events in delivery order (the merge of synthetic-market.ts's header), as an
 * iterator whose state can be saved between any two events (snapshot()) and restored
 * (SyntheticMarket.resume) in O(state): the events after a restored state are those an
 * uninterrupted stream gives after the same event, byte for byte.
 */
export class MarketStream implements Iterator<MarketEvent> {
  readonly sims: SymbolSimulator[];
  private readonly queue = new EventQueue<MarketEvent>();
  private seq = 0;
  private ended = false;
  /** Events returned so far. */
  taken = 0;

  constructor(private readonly config: SyntheticConfig) {
    const root = new Rng(config.seed);
    this.sims = config.symbols.map((spec) => new SymbolSimulator(spec, config, root.fork()));
  }

  next(): IteratorResult<MarketEvent> {
    const { sims, queue } = this;
    for (;;) {
      let best: SymbolSimulator | null = null;
      let frontier = Number.POSITIVE_INFINITY;
      for (const sim of sims) {
        const f = sim.frontier();
        if (f < frontier) {
          frontier = f;
          best = sim;
        }
      }
      // The frontier is a function of the simulators' state alone, so a stream restored between
      // two pops recomputes the same frontier and pops the same next event.
      if (queue.size > 0 && queue.peekTs() <= frontier) {
        this.taken++;
        return { done: false, value: queue.pop() };
      }
      if (best === null) {
        if (!this.ended) for (const sim of sims) sim.finish();
        this.ended = true;
        return { done: true, value: undefined };
      }
      const ev = best.emit();
      queue.push(ev, ev.value.tsInit, this.seq++);
    }
  }

  /** The stream's whole state as text (exact JSON); SyntheticMarket.resume takes it back. */
  snapshot(): string {
    const s: MarketStreamState = {
      code: generatorCodeVersion(), config: toExactJson(this.config), seq: this.seq, taken: this.taken,
      queue: this.queue.state(), sims: this.sims.map((x) => x.state()),
    };
    return toExactJson(s);
  }

  /** @internal SyntheticMarket.resume's second half. */
  restore(s: MarketStreamState): void {
    if (s.sims.length !== this.sims.length) throw new Error('generator state: symbol count differs');
    this.sims.forEach((sim, i) => sim.restore(s.sims[i] as SymbolSimulatorState));
    this.queue.restore(s.queue);
    this.seq = s.seq;
    this.taken = s.taken;
  }
}

export class SyntheticMarket {
  private sims: SymbolSimulator[] | null = null;

  constructor(readonly config: SyntheticConfig = DEFAULT_SYNTHETIC_CONFIG) {}

  /** All events in non-decreasing tsInit order (ties by generation order). Each call restarts. */
  *events(): Generator<MarketEvent> {
    const stream = this.stream();
    this.sims = stream.sims;
    for (let r = stream.next(); !r.done; r = stream.next()) yield r.value;
  }

  /** The same events as events(), as a MarketStream (whose state can be saved) from the start. */
  stream(): MarketStream {
    return new MarketStream(this.config);
  }

  /**
   * The stream continued from a state saved by MarketStream.snapshot(), or null when the state is
   * not one of this generator: other generator code (generatorCodeVersion), another config, or
   * unreadable. The caller then regenerates from the start. A resumed stream's simulators keep
   * only the counts of what came before (truth() is for events()).
   */
  resume(state: string): MarketStream | null {
    let s: MarketStreamState;
    try {
      s = fromExactJson(state) as MarketStreamState;
    } catch {
      return null;
    }
    if (s === null || typeof s !== 'object' || s.code !== generatorCodeVersion() || s.config !== toExactJson(this.config)) return null;
    const stream = new MarketStream(this.config);
    try {
      stream.restore(s);
    } catch {
      return null;
    }
    return stream;
  }

  /**
   * What the generator recorded about the data of the last events() run (bars closed so far;
   * complete once the iteration finished).
   */
  truth(): SyntheticTruth {
    if (this.sims === null) throw new Error('SyntheticMarket.truth(): iterate events() first');
    const c = this.config;
    return {
      barMs: c.barMs,
      signalStrength: c.signalStrength,
      signalChangeAt: c.signalChange?.at ?? null,
      driftScale: c.driftScale,
      signalLookbackBars: c.signalLookbackBars,
      maxImbalance: c.maxImbalance,
      symbols: this.sims.map((s) => s.recorder.truth),
    };
  }

  /** Bayes-optimal macro AUC on the data of the last run (see bayes-auc.ts). */
  bayesAuc(options: BayesAucOptions = {}): number {
    return bayesAuc(this.truth(), options);
  }
}
