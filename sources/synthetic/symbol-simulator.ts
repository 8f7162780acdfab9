import type { Rng, RngState } from '../../processors/math/rng.ts';
import type { Trade } from '../../schemas/index.ts';
import { LatentPrice, type LatentPriceState } from './latent-price.ts';
import type { MarketEvent } from './market-event.ts';
import { OptionChainBuilder, type OptionChainState } from './option-chain-builder.ts';
import type { SymbolSpec, SyntheticConfig } from './synthetic-config.ts';
import { SymbolTruthRecorder, type TruthCounts } from './synthetic-truth.ts';
import { TradeArrivals, type TradeArrivalsState } from './trade-arrivals.ts';

/** Everything a SymbolSimulator changes while it runs (state()/restore()); the rest follows from the config. */
export interface SymbolSimulatorState {
  symbol: string;
  ofiRing: number[];
  ringPos: number;
  barEnd: number;
  buyProb: number;
  volume: number;
  buyVolume: number;
  sumSq: number;
  close: number;
  closeTs: number;
  closeTsInit: number;
  pendingTrade: number;
  nextChainAt: number;
  tradeId: number;
  sizeZ: number;
  price: LatentPriceState;
  arrivals: TradeArrivalsState;
  flow: RngState;
  chainRng: RngState;
  chains: OptionChainState;
  truth: TruthCounts;
}

/**
 * One symbol of the synthetic market: produces its trades and option-chain snapshots in tsEvent
 * order, closes its signal bars as the latent clock passes their ends (recording the truth and
 * setting the next bar's planted drift). Formulas: synthetic-market.ts and docs/synthetic-market.md.
 */
export class SymbolSimulator {
  readonly recorder: SymbolTruthRecorder;
  private readonly symbol: string;
  private readonly price: LatentPrice;
  private readonly arrivals: TradeArrivals;
  private readonly chains: OptionChainBuilder;
  private readonly flow: Rng;
  private readonly chainRng: Rng;
  private readonly end: number;
  private readonly invTick: number;
  private readonly invLot: number;
  private readonly lot: number;
  private readonly barMs: number;
  /** Drift per ms per unit of mean OFI: s * kappa * sigma_bar / barMs. */
  private readonly driftPerOfi: number;
  /** driftPerOfi of the bars after the configured signal change (same as driftPerOfi without one). */
  private readonly driftPerOfiAfter: number;
  private readonly ofiRing: Float64Array;
  private ringPos = 0;

  private barEnd: number;
  private buyProb = 0.5;
  private volume = 0;
  private buyVolume = 0;
  private sumSq = 0;
  private close = Number.NaN;
  private closeTs = Number.NEGATIVE_INFINITY;
  private closeTsInit = Number.NEGATIVE_INFINITY;

  private pendingTrade: number;
  private nextChainAt: number;
  private tradeId = 0;
  private sizeZ = 0;
  private readonly sizeLevel: [number, number];
  private readonly sizeStep: [number, number];

  constructor(
    private readonly spec: SymbolSpec,
    private readonly c: SyntheticConfig,
    rng: Rng,
  ) {
    this.symbol = spec.symbol;
    this.end = c.start + Math.round(c.days * 86_400_000);
    this.barMs = c.barMs;
    const firstBarStart = Math.floor(c.start / c.barMs) * c.barMs;
    this.barEnd = firstBarStart + c.barMs;
    this.recorder = new SymbolTruthRecorder(spec.symbol, spec.volatility, c.jumpsPerDay, c.jumpStd, firstBarStart,
      Math.ceil((this.end - firstBarStart) / c.barMs));
    // Independent streams, so e.g. the chain interval does not change the trade sides or sizes.
    this.price = new LatentPrice(rng.fork(), c.start, spec.initialPrice, spec.volatility, c.jumpsPerDay, c.jumpStd);
    this.arrivals = new TradeArrivals(rng.fork(), c.start, spec.baseTradesPerSecond, c.regimes, c.seasonality);
    this.flow = rng.fork();
    this.chainRng = rng.fork();
    this.chains = new OptionChainBuilder(spec, c.options, this.chainRng);
    this.invTick = Math.round(1 / spec.tickSize);
    this.invLot = Math.round(1 / spec.lotSize);
    this.lot = spec.lotSize;
    this.driftPerOfi = (c.signalStrength * c.driftScale * this.price.sigmaMs * Math.sqrt(c.barMs)) / c.barMs;
    this.driftPerOfiAfter = c.signalChange === null ? this.driftPerOfi : (c.signalChange.signalStrength * c.driftScale * this.price.sigmaMs * Math.sqrt(c.barMs)) / c.barMs;
    this.ofiRing = new Float64Array(c.signalLookbackBars);
    const r = c.regimes;
    const v = (step: number): number => (step * step) / (1 - r.sizePersistence * r.sizePersistence);
    // Level so that E[size] = meanTradeSize * regime multiplier (lognormal mean correction).
    this.sizeLevel = [Math.log(spec.meanTradeSize * r.quietSize) - v(r.quietSizeStep) / 2, Math.log(spec.meanTradeSize * r.activeSize) - v(r.activeSizeStep) / 2];
    this.sizeStep = [r.quietSizeStep, r.activeSizeStep];
    this.openBar();
    this.pendingTrade = this.drawArrival();
    this.nextChainAt = c.start < this.end ? c.start : Number.POSITIVE_INFINITY;
  }

  state(): SymbolSimulatorState {
    return {
      symbol: this.symbol, ofiRing: Array.from(this.ofiRing), ringPos: this.ringPos, barEnd: this.barEnd, buyProb: this.buyProb,
      volume: this.volume, buyVolume: this.buyVolume, sumSq: this.sumSq, close: this.close, closeTs: this.closeTs,
      closeTsInit: this.closeTsInit, pendingTrade: this.pendingTrade, nextChainAt: this.nextChainAt, tradeId: this.tradeId,
      sizeZ: this.sizeZ, price: this.price.state(), arrivals: this.arrivals.state(), flow: this.flow.getState(),
      chainRng: this.chainRng.getState(), chains: this.chains.state(), truth: this.recorder.counts(),
    };
  }

  /** Puts a simulator built from the same spec and config in the state `s` (taken by state()). */
  restore(s: SymbolSimulatorState): void {
    if (s.symbol !== this.symbol || s.ofiRing.length !== this.ofiRing.length) throw new Error(`generator state of ${s.symbol} does not fit symbol ${this.symbol}`);
    this.ofiRing.set(s.ofiRing);
    this.ringPos = s.ringPos;
    this.barEnd = s.barEnd;
    this.buyProb = s.buyProb;
    this.volume = s.volume;
    this.buyVolume = s.buyVolume;
    this.sumSq = s.sumSq;
    this.close = s.close;
    this.closeTs = s.closeTs;
    this.closeTsInit = s.closeTsInit;
    this.pendingTrade = s.pendingTrade;
    this.nextChainAt = s.nextChainAt;
    this.tradeId = s.tradeId;
    this.sizeZ = s.sizeZ;
    this.price.restore(s.price);
    this.arrivals.restore(s.arrivals);
    this.flow.setState(s.flow);
    this.chainRng.setState(s.chainRng);
    this.chains.restore(s.chains);
    this.recorder.restoreCounts(s.truth);
  }

  /** Lower bound of the tsInit of every event this symbol has yet to produce (non-decreasing). */
  frontier(): number {
    return Math.min(Math.floor(this.pendingTrade) + this.c.latency.tradeMinMs, this.nextChainAt + this.c.latency.chainMinMs);
  }

  /** The next event in tsEvent order. Call only while frontier() is finite. */
  emit(): MarketEvent {
    if (this.nextChainAt <= this.pendingTrade) return this.emitChain();
    return this.emitTrade();
  }

  /** Runs the latent clock to the end, closing the remaining full bars. */
  finish(): void {
    this.advance(this.end);
  }

  private emitChain(): MarketEvent {
    const t = this.nextChainAt;
    const l = this.c.latency;
    this.advance(t);
    const spot = Math.round(Math.exp(this.price.x) * this.invTick) / this.invTick;
    const tsInit = t + l.chainMinMs + Math.floor(this.chainRng.next() * (l.chainMaxMs - l.chainMinMs + 1));
    const value = this.chains.build(t, tsInit, spot);
    const n = t + this.c.options.intervalMs;
    this.nextChainAt = n < this.end ? n : Number.POSITIVE_INFINITY;
    return { topic: 'options', key: this.symbol, value };
  }

  private emitTrade(): MarketEvent {
    const te = this.pendingTrade;
    const regime = this.arrivals.regime;
    this.advance(te);
    const flow = this.flow;
    const c = this.c;
    const tsEvent = Math.floor(te);
    let price = Math.round(Math.exp(this.price.x) * this.invTick) / this.invTick;
    const side = flow.next() < this.buyProb ? 'BUY' : 'SELL';
    this.sizeZ = c.regimes.sizePersistence * this.sizeZ + this.sizeStep[regime] * flow.normal();
    let size = Math.max(this.lot, Math.round(Math.exp(this.sizeLevel[regime] + this.sizeZ) * this.invLot) / this.invLot);
    const u = flow.next();
    const bad = u < c.badTradeRate;
    const late = !bad && u < c.badTradeRate + c.lateTradeRate;
    const l = c.latency;
    const latency = late
      ? l.lateMinMs + Math.floor(flow.next() * (l.lateMaxMs - l.lateMinMs + 1))
      : l.tradeMinMs + Math.floor(flow.exponential(1 / l.tradeMeanExtraMs));
    const tsInit = tsEvent + latency;
    const truth = this.recorder.truth;
    truth.trades++;
    if (bad) {
      truth.badTrades++;
      const kind = Math.floor(flow.next() * 4);
      if (kind === 0) price = 0;
      else if (kind === 1) price = -price;
      else if (kind === 2) size = 0;
      else size = -size;
    } else if (late) {
      truth.lateTrades++;
    } else {
      this.volume += size;
      this.sumSq += size * size;
      if (side === 'BUY') this.buyVolume += size;
      // The bar's close is the latest trade in event time, ties by log order (= delivery order).
      if (tsEvent > this.closeTs || (tsEvent === this.closeTs && tsInit >= this.closeTsInit)) {
        this.close = price;
        this.closeTs = tsEvent;
        this.closeTsInit = tsInit;
      }
    }
    const value: Trade = { tsEvent, tsInit, symbol: this.symbol, price, size, side, tradeId: ++this.tradeId };
    this.pendingTrade = this.drawArrival();
    return { topic: 'trades', key: this.symbol, value };
  }

  private drawArrival(): number {
    const t = this.arrivals.next();
    return t < this.end ? t : Number.POSITIVE_INFINITY;
  }

  /** Moves the latent clock to T, closing every bar that ends at or before T on the way. */
  private advance(T: number): void {
    while (T >= this.barEnd) {
      this.price.moveTo(this.barEnd);
      this.closeBar();
    }
    this.price.moveTo(T);
  }

  private closeBar(): void {
    const vol = this.volume;
    const ofi = vol > 0 ? (2 * this.buyVolume - vol) / vol : 0;
    this.recorder.recordBar(this.close, ofi, vol > 0 ? this.sumSq / (vol * vol) : Number.NaN);
    const ring = this.ofiRing;
    ring[this.ringPos] = ofi;
    this.ringPos = (this.ringPos + 1) % ring.length;
    let sum = 0;
    for (let i = 0; i < ring.length; i++) sum += ring[i] as number;
    // The planted signal: the next bar's drift is proportional to the mean OFI of the last L bars.
    // this.barEnd is the start of the next bar, the one this drift applies to.
    const changed = this.c.signalChange !== null && this.barEnd >= this.c.signalChange.at;
    this.price.driftPerMs = (changed ? this.driftPerOfiAfter : this.driftPerOfi) * (sum / ring.length);
    this.barEnd += this.barMs;
    this.openBar();
  }

  private openBar(): void {
    this.volume = 0;
    this.buyVolume = 0;
    this.sumSq = 0;
    this.close = Number.NaN;
    this.closeTs = Number.NEGATIVE_INFINITY;
    this.closeTsInit = Number.NEGATIVE_INFINITY;
    const a = this.c.maxImbalance * (2 * this.flow.next() - 1);
    this.buyProb = (1 + a) / 2;
  }
}
