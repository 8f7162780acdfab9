import { intervalMs } from '../schemas/index.ts';
import type { FeatureSetDef } from '../processors/features/full/index.ts';
import { DEFAULT_GRAPH_CONFIG, graphConfigFor } from '../processors/graph.ts';
import type { GraphEvent } from '../processors/graph-events.ts';
import { classify, labelConfigFor, TripleBarrierLabeller, type LabelConfig, type TripleBarrierConfig } from '../processors/labels.ts';
import { CLASSES } from '../processors/types.ts';
import type { EventLog } from '../storage/log/event-log.ts';
import { openDatasetWriter, type DatasetRow } from './dataset-writer.ts';
import type { TopicDecoder } from '../hosts/merged-reader.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';

interface Pending {
  barEnd: number;
  close: number;
  symbol: string;
  features: (number | null)[];
}

/** How the rows of a triple-barrier dataset ended. */
export interface BarrierCounts {
  /** Upper barrier first (UP). */
  up: number;
  /** Lower barrier first, or both in one bar (DOWN). */
  down: number;
  /** Time limit reached with neither touched (FLAT). */
  timeout: number;
  /** Rows without σ (fewer than volBars returns before them, or σ = 0): not labelled, not written. */
  noVolatility: number;
}

export interface DatasetResult {
  rows: number;
  sha256: string;
  file: string;
  /** Feature rows whose horizon bar never came (end of log or a gap): not labelled, not written. */
  unlabeled: number;
  firstBarEnd: number | null;
  lastBarEnd: number | null;
  /** Present for `tripleBarrier` datasets. */
  barrier?: BarrierCounts;
}

/**
 * Replays the log into a training set: one row per signal-interval FeatureVector, labelled with
 * the direction of the forward log return from that bar's close to the close of the bar exactly
 * `horizonBars` intervals later. The label is only known in replay; nothing here runs live.
 * Rows are written in (barEnd, symbol) order whatever the order the graph closed them in: each
 * symbol's bars close on its own watermark (docs/decisions.md D3), so an underlying priced only by
 * sparse option-chain snapshots closes a bar when its next snapshot arrives, after other symbols'
 * later bars. The labelled rows are therefore held and sorted before writing (memory: the rows).
 * The signal interval is the feature set's (`signalInterval`). With `tripleBarrier` the label is
 * the first barrier touched instead (processors/labels.ts TripleBarrierLabeller), fwdReturn the
 * return at the touch or the time limit, and the rows carry a `labelEnd` column before fwdReturn.
 */
export async function exportDataset(opts: {
  log: EventLog;
  decode: TopicDecoder;
  out: string;
  label?: LabelConfig;
  /**
   * Triple-barrier labels instead of direction with a FLAT band (processors/labels.ts): each row's
   * label is the first barrier touched, its fwdReturn the log return at the touch (or at the time
   * limit) and an extra column `labelEnd` the barEnd of the bar that ended it, which the purge uses.
   */
  tripleBarrier?: TripleBarrierConfig;
  /** Default: the core feature set at 5m; its signalInterval is the dataset's interval. */
  featureSet?: FeatureSetDef;
  onProgress?: (inputs: number) => void;
  /** replayLog's readerThread (default 'auto'). */
  readerThread?: 'auto' | 'on' | 'off';
}): Promise<DatasetResult> {
  const config = opts.featureSet ? graphConfigFor(opts.featureSet) : DEFAULT_GRAPH_CONFIG;
  const fs = config.featureSet;
  const interval = fs.signalInterval;
  const tb = opts.tripleBarrier;
  const label = opts.label ?? labelConfigFor(intervalMs(interval));
  const horizonBars = tb === undefined ? label.horizonBars : tb.bars;
  const horizonMs = horizonBars * intervalMs(interval);
  const names = fs.names;
  const labelMeta: Record<string, string> =
    tb === undefined
      ? { horizonBars: String(label.horizonBars), flatBand: String(label.flatBand) }
      : { horizonBars: String(tb.bars), labelRule: 'triple-barrier', barrierUp: String(tb.up), barrierDown: String(tb.down), barrierVolBars: String(tb.volBars) };
  const w = openDatasetWriter(opts.out, names, { featureSetId: fs.id, featureSetHash: fs.hash, interval, ...labelMeta }, { labelEnd: tb !== undefined });
  const barrier: BarrierCounts = { up: 0, down: 0, timeout: 0, noVolatility: 0 };
  const barrierLabeller = tb === undefined ? null : new TripleBarrierLabeller<Pending>(tb, intervalMs(interval));
  const pending = new Map<string, Pending[]>();
  const labelled: DatasetRow[] = [];
  let rows = 0;
  let unlabeled = 0;
  let firstBarEnd: number | null = null;
  let lastBarEnd: number | null = null;
  const sink = {
    onEvent(e: GraphEvent): void {
      if (barrierLabeller !== null) {
        if (e.kind === 'bar' && e.bar.interval === interval) {
          for (const o of barrierLabeller.bar(e.bar.symbol, e.bar)) {
            if (o.missing) {
              unlabeled++; // the time-limit bar is missing (no trades then) and no earlier bar touched
              continue;
            }
            barrier[o.by]++;
            labelled.push({ symbol: o.row.symbol, barEnd: o.barEnd, features: o.row.features, labelEnd: o.labelEnd, fwdReturn: o.ret, label: CLASSES[o.cls] });
          }
        } else if (e.kind === 'features' && e.vector.interval === interval) {
          const v = e.vector;
          const row = { barEnd: v.barEnd, close: Number.NaN, symbol: v.symbol, features: names.map((n) => v.features[n] ?? null) };
          if (!barrierLabeller.row(v.symbol, v.barEnd, row)) barrier.noVolatility++;
        }
        return;
      }
      if (e.kind === 'bar' && e.bar.interval === interval) {
        const q = pending.get(e.bar.symbol);
        while (q !== undefined && q.length > 0 && (q[0] as Pending).barEnd + horizonMs <= e.bar.end) {
          const p = q.shift() as Pending;
          if (p.barEnd + horizonMs < e.bar.end) {
            unlabeled++; // the horizon bar is missing (no trades in that window)
            continue;
          }
          const r = Math.log(e.bar.close / p.close);
          labelled.push({ symbol: p.symbol, barEnd: p.barEnd, features: p.features, fwdReturn: r, label: CLASSES[classify(r, label.flatBand)] });
        }
      } else if (e.kind === 'features' && e.vector.interval === interval) {
        const v = e.vector;
        let q = pending.get(v.symbol);
        if (q === undefined) pending.set(v.symbol, (q = []));
        q.push({ barEnd: v.barEnd, close: lastClose.get(v.symbol) as number, symbol: v.symbol, features: names.map((n) => v.features[n] ?? null) });
      }
      if (e.kind === 'bar' && e.bar.interval === interval) lastClose.set(e.bar.symbol, e.bar.close);
    },
  };
  const lastClose = new Map<string, number>();
  await replayLog({ log: opts.log, decode: opts.decode, sinks: [sink], config, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.readerThread ? { readerThread: opts.readerThread } : {}) });
  for (const q of pending.values()) unlabeled += q.length;
  if (barrierLabeller !== null) unlabeled += barrierLabeller.pending();
  // (barEnd, symbol) order; a symbol has one row per barEnd, so the order is total.
  labelled.sort((a, b) => a.barEnd - b.barEnd || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  for (const row of labelled) {
    w.write(row);
    rows++;
    firstBarEnd ??= row.barEnd;
    lastBarEnd = row.barEnd;
  }
  return { rows, sha256: w.close(), file: opts.out, unlabeled, firstBarEnd, lastBarEnd, ...(tb === undefined ? {} : { barrier }) };
}
