import { intervalMs } from '../schemas/index.ts';
import type { FeatureSetDef } from '../processors/features/full/index.ts';
import { DEFAULT_GRAPH_CONFIG, graphConfigFor } from '../processors/graph.ts';
import type { GraphEvent } from '../processors/graph-events.ts';
import { classify, DEFAULT_LABEL_CONFIG, type LabelConfig } from '../processors/labels.ts';
import { CLASSES } from '../processors/types.ts';
import type { EventLog } from '../storage/log/event-log.ts';
import { openDatasetWriter } from './dataset-writer.ts';
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
 * Rows come out in (barEnd, symbol) order; memory holds only `horizonBars` rows per symbol.
 */
export async function exportDataset(opts: {
  log: EventLog;
  decode: TopicDecoder;
  out: string;
  label?: LabelConfig;
  signalInterval?: string;
  /** Default: the core feature set. */
  featureSet?: FeatureSetDef;
  onProgress?: (inputs: number) => void;
}): Promise<DatasetResult> {
  const config = opts.featureSet ? graphConfigFor(opts.featureSet) : DEFAULT_GRAPH_CONFIG;
  const fs = config.featureSet;
  const label = opts.label ?? DEFAULT_LABEL_CONFIG;
  const interval = opts.signalInterval ?? '5m';
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
          w.write({ symbol: p.symbol, barEnd: p.barEnd, features: p.features, fwdReturn: r, label: CLASSES[classify(r, label.flatBand)] });
          rows++;
          firstBarEnd ??= p.barEnd;
          lastBarEnd = p.barEnd;
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
  return { rows, sha256: w.close(), file: opts.out, unlabeled, firstBarEnd, lastBarEnd };
}
