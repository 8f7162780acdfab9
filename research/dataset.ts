import { intervalMs } from '../schemas/index.ts';
import type { FeatureSetDef } from '../processors/features/full/index.ts';
import { DEFAULT_GRAPH_CONFIG, graphConfigFor } from '../processors/graph.ts';
import type { GraphEvent } from '../processors/graph-events.ts';
import { classify, labelConfigFor, type LabelConfig } from '../processors/labels.ts';
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

export interface DatasetResult {
  rows: number;
  sha256: string;
  file: string;
  /** Feature rows whose horizon bar never came (end of log or a gap): not labelled, not written. */
  unlabeled: number;
  firstBarEnd: number | null;
  lastBarEnd: number | null;
}

/**
 * Replays the log into a training set: one row per signal-interval FeatureVector, labelled with
 * the direction of the forward log return from that bar's close to the close of the bar exactly
 * `horizonBars` intervals later. The label is only known in replay; nothing here runs live.
 * Rows are written in (barEnd, symbol) order whatever the order the graph closed them in: each
 * symbol's bars close on its own watermark (docs/decisions.md D3), so an underlying priced only by
 * sparse option-chain snapshots closes a bar when its next snapshot arrives, after other symbols'
 * later bars. The labelled rows are therefore held and sorted before writing (memory: the rows).
 * The signal interval is the feature set's (`signalInterval`).
 */
export async function exportDataset(opts: {
  log: EventLog;
  decode: TopicDecoder;
  out: string;
  label?: LabelConfig;
  /** Default: the core feature set at 5m; its signalInterval is the dataset's interval. */
  featureSet?: FeatureSetDef;
  onProgress?: (inputs: number) => void;
}): Promise<DatasetResult> {
  const config = opts.featureSet ? graphConfigFor(opts.featureSet) : DEFAULT_GRAPH_CONFIG;
  const fs = config.featureSet;
  const interval = fs.signalInterval;
  const label = opts.label ?? labelConfigFor(intervalMs(interval));
  const horizonMs = label.horizonBars * intervalMs(interval);
  const names = fs.names;
  const w = openDatasetWriter(opts.out, names, {
    featureSetId: fs.id,
    featureSetHash: fs.hash,
    interval,
    horizonBars: String(label.horizonBars),
    flatBand: String(label.flatBand),
  });
  const pending = new Map<string, Pending[]>();
  const labelled: DatasetRow[] = [];
  let rows = 0;
  let unlabeled = 0;
  let firstBarEnd: number | null = null;
  let lastBarEnd: number | null = null;
  const sink = {
    onEvent(e: GraphEvent): void {
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
  await replayLog({ log: opts.log, decode: opts.decode, sinks: [sink], config, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  for (const q of pending.values()) unlabeled += q.length;
  // (barEnd, symbol) order; a symbol has one row per barEnd, so the order is total.
  labelled.sort((a, b) => a.barEnd - b.barEnd || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  for (const row of labelled) {
    w.write(row);
    rows++;
    firstBarEnd ??= row.barEnd;
    lastBarEnd = row.barEnd;
  }
  return { rows, sha256: w.close(), file: opts.out, unlabeled, firstBarEnd, lastBarEnd };
}
