import type { Bar } from '../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../schemas/option-chain-snapshot.ts';
import { Atr } from './atr.ts';
import { Bollinger } from './bollinger.ts';
import { chainFeatures, type ChainFeatures } from './chain/chain-features.ts';
import { FEATURE_DEFS, type FeatureName } from './feature-defs.ts';
import { LogReturn } from './log-return.ts';
import { OrderFlowImbalance } from './order-flow-imbalance.ts';
import { RealizedVol } from './realized-vol.ts';
import { RollingMean } from './rolling-mean.ts';
import { Rsi } from './rsi.ts';
import { asRecord, finiteNumber, finiteOrNull } from './state-guards.ts';
import { VolumeRatio } from './volume-ratio.ts';
import { VwapZ } from './vwap-z.ts';

const STATE_VERSION = 1;

function makeIndicators() {
  return {
    ret_1: new LogReturn(1),
    ret_3: new LogReturn(3),
    ret_9: new LogReturn(9),
    rv_12: new RealizedVol(12),
    rsi_14: new Rsi(14),
    atr_14: new Atr(14),
    bb_20: new Bollinger(20, 2),
    vwap_z_20: new VwapZ(20),
    vol_ratio_20: new VolumeRatio(20),
    ofi: new OrderFlowImbalance(),
    ofi_6: new RollingMean(6),
  };
}

interface Identity {
  symbol: string;
  interval: string;
  lastTsEvent: number;
  lastClose: number;
}

/**
 * The core-v1 features of one symbol: feed its signal-interval bars in time order with onBar(),
 * then vector(chain) gives the ordered feature record for the latest bar (chain = the option-chain
 * snapshot the caller as-of joined for that bar, or null). The first bar fixes symbol and interval.
 */
export class SymbolFeatures {
  private id: Identity | null = null;
  private ind = makeIndicators();
  // Chain features depend only on the snapshot; the as-of join often hands the same one to
  // several bars in a row, so the last result is reused (not part of the state).
  private lastChain: OptionChainSnapshot | null = null;
  private lastChainFeatures: ChainFeatures = chainFeatures(null);

  get symbol(): string | null {
    return this.id?.symbol ?? null;
  }

  /** tsEvent (= end) of the latest bar, or null before the first. */
  get lastBarTs(): number | null {
    return this.id?.lastTsEvent ?? null;
  }

  /** Feeds the next bar. Throws (programmer error) if it is not after the previous bar or is another symbol's. */
  onBar(bar: Bar): void {
    if (this.id !== null) {
      this.checkSeries(bar);
      if (bar.tsEvent <= this.id.lastTsEvent) {
        throw new RangeError(`SymbolFeatures(${bar.symbol}): bar at ${bar.tsEvent} is not after ${this.id.lastTsEvent}`);
      }
    }
    this.id = { symbol: bar.symbol, interval: bar.interval, lastTsEvent: bar.tsEvent, lastClose: bar.close };
    this.feed(bar, 'add');
  }

  /** Replaces the latest bar with a revised version of it (same tsEvent), e.g. a corrected candle. */
  reviseLastBar(bar: Bar): void {
    if (this.id === null) throw new RangeError('SymbolFeatures.reviseLastBar before any bar');
    this.checkSeries(bar);
    if (bar.tsEvent !== this.id.lastTsEvent) {
      throw new RangeError(`SymbolFeatures(${bar.symbol}): revision at ${bar.tsEvent} is not the latest bar ${this.id.lastTsEvent}`);
    }
    this.id.lastClose = bar.close;
    this.feed(bar, 'replace');
  }

  /** Feeds one bar to every indicator, as a new input (add) or as a revision of the latest (replace). */
  private feed(bar: Bar, op: 'add' | 'replace'): void {
    const i = this.ind;
    i.ret_1[op](bar.close);
    i.ret_3[op](bar.close);
    i.ret_9[op](bar.close);
    i.rv_12[op](bar.close);
    i.rsi_14[op](bar.close);
    i.atr_14[op](bar);
    i.bb_20[op](bar.close);
    i.vwap_z_20[op](bar);
    i.vol_ratio_20[op](bar.volume);
    i.ofi_6[op](i.ofi[op](bar));
  }

  /**
   * The feature record for the latest bar, keys in FEATURE_DEFS order; null = not available.
   * Snapshots are treated as immutable: the same object twice reuses the cached chain features.
   */
  vector(chain: OptionChainSnapshot | null): Record<string, number | null> {
    if (chain !== this.lastChain) {
      this.lastChain = chain;
      this.lastChainFeatures = chainFeatures(chain);
    }
    const i = this.ind;
    const atr = i.atr_14.getResult();
    const close = this.id?.lastClose ?? null;
    const bb = i.bb_20.getResult();
    const values: Record<FeatureName, number | null> = {
      ret_1: i.ret_1.getResult(),
      ret_3: i.ret_3.getResult(),
      ret_9: i.ret_9.getResult(),
      rv_12: i.rv_12.getResult(),
      rsi_14: i.rsi_14.getResult(),
      atr_14_pct: atr === null || close === null || close === 0 ? null : finiteOrNull(atr / close),
      bb_pctb_20: bb?.pctB ?? null,
      bb_width_20: bb?.width ?? null,
      vwap_z_20: i.vwap_z_20.getResult(),
      vol_ratio_20: i.vol_ratio_20.getResult(),
      ofi: i.ofi.getResult(),
      ofi_6: i.ofi_6.getResult(),
      ...this.lastChainFeatures,
    };
    const out: Record<string, number | null> = {};
    for (const d of FEATURE_DEFS) out[d.name] = values[d.name];
    return out;
  }

  reset(): void {
    this.id = null;
    for (const x of Object.values(this.ind)) x.reset();
    this.lastChain = null;
    this.lastChainFeatures = chainFeatures(null);
  }

  /** The whole per-symbol state as JSON-safe data (chain snapshots are not part of it). */
  snapshot(): { v: number; id: Identity | null; ind: Record<string, unknown> } {
    const ind: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(this.ind)) ind[k] = x.snapshot();
    return { v: STATE_VERSION, id: this.id === null ? null : { ...this.id }, ind };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'SymbolFeatures');
    if (s.v !== STATE_VERSION) throw new TypeError(`SymbolFeatures: unsupported state version ${String(s.v)}`);
    const ind = asRecord(s.ind, 'SymbolFeatures.ind');
    let id: Identity | null = null;
    if (s.id !== null) {
      const r = asRecord(s.id, 'SymbolFeatures.id');
      if (typeof r.symbol !== 'string' || typeof r.interval !== 'string') throw new TypeError('SymbolFeatures.id: bad symbol/interval');
      id = {
        symbol: r.symbol,
        interval: r.interval,
        lastTsEvent: finiteNumber(r.lastTsEvent, 'SymbolFeatures.id.lastTsEvent'),
        lastClose: finiteNumber(r.lastClose, 'SymbolFeatures.id.lastClose'),
      };
    }
    // Restore into fresh indicators and swap at the end, so a bad state leaves this one untouched.
    const fresh = makeIndicators();
    for (const [k, x] of Object.entries(fresh)) {
      if (!(k in ind)) throw new TypeError(`SymbolFeatures.ind: missing ${k}`);
      x.restore(ind[k]);
    }
    this.ind = fresh;
    this.id = id;
    this.lastChain = null;
    this.lastChainFeatures = chainFeatures(null);
  }

  private checkSeries(bar: Bar): void {
    const id = this.id as Identity;
    if (bar.symbol !== id.symbol || bar.interval !== id.interval) {
      throw new RangeError(`SymbolFeatures(${id.symbol} ${id.interval}) fed a ${bar.symbol} ${bar.interval} bar`);
    }
  }
}
