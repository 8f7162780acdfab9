import { Buffer } from 'node:buffer';
import type { GraphEvent } from '../processors/graph-events.ts';
import type { Predictor } from '../processors/types.ts';
import { TOPICS, type Signal } from '../schemas/index.ts';
import { partitionFor, type EventLog } from '../storage/log/event-log.ts';
import type { TopicDecoder } from '../hosts/merged-reader.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { featureSetByHash, graphConfigFor } from '../processors/graph.ts';
import { DEFAULT_SIGNAL_RULE } from '../processors/signal/signal-rule.ts';

export interface VerifyResult {
  identical: boolean;
  signals: number;
  recorded: number;
  firstDifference?: { partition: number; index: number; recorded: unknown; replayed: unknown; why: string };
}

/** Replays the log and returns the signals' encoded bytes per partition of the signals topic. */
async function replaySignals(log: EventLog, decode: TopicDecoder, encode: (t: string, v: object) => Uint8Array, predictor: Predictor, partitions: number, holdOnly: boolean): Promise<{ bytes: Uint8Array[][]; values: Signal[][] }> {
  const bytes: Uint8Array[][] = Array.from({ length: partitions }, () => []);
  const values: Signal[][] = Array.from({ length: partitions }, () => []);
  const sink = {
    onEvent(e: GraphEvent): void {
      if (e.kind !== 'signal') return;
      const p = partitionFor(e.signal.symbol, partitions);
      bytes[p]?.push(encode(TOPICS.signals.name, e.signal));
      values[p]?.push(e.signal);
    },
  };
  await replayLog({ log, decode, sinks: [sink], predictor, config: graphConfigFor(featureSetByHash(predictor.featureSetHash), { ...DEFAULT_SIGNAL_RULE, holdOnly }) });
  return { bytes, values };
}

/**
 * Replays the log twice and compares, byte for byte and per partition in order, the signals of
 * both replays with each other and with the signals the live run recorded in the log.
 */
export async function verifyLog(opts: { log: EventLog; decode: TopicDecoder; encode: (t: string, v: object) => Uint8Array; predictor: Predictor; holdOnly?: boolean }): Promise<VerifyResult> {
  const topic = TOPICS.signals.name;
  const n = await opts.log.partitions(topic);
  const a = await replaySignals(opts.log, opts.decode, opts.encode, opts.predictor, n, opts.holdOnly ?? false);
  const b = await replaySignals(opts.log, opts.decode, opts.encode, opts.predictor, n, opts.holdOnly ?? false);
  const total = a.bytes.reduce((s, x) => s + x.length, 0);
  let recordedTotal = 0;
  let first: VerifyResult['firstDifference'];
  for (let p = 0; p < n && first === undefined; p++) {
    const ra = a.bytes[p] ?? [];
    const rb = b.bytes[p] ?? [];
    for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
      if (!sameBytes(ra[i], rb[i])) {
        first = { partition: p, index: i, recorded: a.values[p]?.[i] ?? null, replayed: b.values[p]?.[i] ?? null, why: 'two replays of the same log differ' };
        break;
      }
    }
    if (first !== undefined) break;
    let i = 0;
    for await (const batch of opts.log.read(topic, p)) {
      for (const rec of batch) {
        if (first === undefined && !sameRecorded(rec.value, ra[i], opts.decode, opts.encode)) {
          first = { partition: p, index: i, recorded: safeDecode(opts.decode, topic, rec.value), replayed: a.values[p]?.[i] ?? null, why: ra[i] === undefined ? 'recorded signal missing from the replay' : 'recorded and replayed signal differ' };
        }
        i++;
      }
    }
    recordedTotal += i;
    if (first === undefined && i < ra.length) {
      first = { partition: p, index: i, recorded: null, replayed: a.values[p]?.[i] ?? null, why: 'replay produced a signal the live run did not record' };
    }
  }
  return first === undefined ? { identical: true, signals: total, recorded: recordedTotal } : { identical: false, signals: total, recorded: recordedTotal, firstDifference: first };
}

function sameBytes(x: Uint8Array | undefined, y: Uint8Array | undefined): boolean {
  return x !== undefined && y !== undefined && Buffer.compare(x, y) === 0;
}

/**
 * A recorded signal matches a replayed one when the bytes are the same, or, if it was written
 * under an earlier schema version (another schema id in the frame), when it re-encodes to the
 * same bytes after being read into the current schema (added fields take their defaults): a log
 * recorded before the Signal schema gained a field still verifies.
 */
export function sameRecorded(recorded: Uint8Array, replayed: Uint8Array | undefined, decode: TopicDecoder, encode: (t: string, v: object) => Uint8Array): boolean {
  if (sameBytes(recorded, replayed)) return true;
  if (replayed === undefined || recorded.length < 5 || replayed.length < 5 || Buffer.compare(recorded.subarray(1, 5), replayed.subarray(1, 5)) === 0) return false;
  try {
    return sameBytes(encode(TOPICS.signals.name, decode(TOPICS.signals.name, recorded) as object), replayed);
  } catch {
    return false;
  }
}

function safeDecode(decode: TopicDecoder, topic: string, bytes: Uint8Array): unknown {
  try {
    return decode(topic, bytes);
  } catch (e) {
    return { undecodable: (e as Error).message };
  }
}
