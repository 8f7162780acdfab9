import { Buffer } from 'node:buffer';
import type { GraphEvent } from '../processors/graph-events.ts';
import type { Predictor } from '../processors/types.ts';
import { TOPICS } from '../schemas/index.ts';
import { partitionFor, type EventLog } from '../storage/log/event-log.ts';
import { bodyOf, legacyBodies } from '../storage/serde/legacy-encodings.ts';
import type { TopicDecoder } from '../hosts/merged-reader.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { featureSetByHash, graphConfigFor } from '../processors/graph.ts';
import { DEFAULT_SIGNAL_RULE } from '../processors/signal/signal-rule.ts';
import type { Logger } from '../lib/log.ts';
import { PROGRESS_EVERY_INPUTS, ReplayProgress, replayTotal } from '../hosts/replay/replay-progress.ts';

export interface VerifyResult {
  identical: boolean;
  signals: number;
  recorded: number;
  /** The model-health reports (topic model-health) compared the same way as the signals. */
  modelHealth: { reports: number; recorded: number; identical: boolean };
  firstDifference?: { topic: string; partition: number; index: number; recorded: unknown; replayed: unknown; why: string };
}

type Replayed = Map<string, { bytes: Uint8Array[][]; values: unknown[][] }>;

/** Replays the log and returns the signals' and model-health reports' encoded bytes per partition of their topic. */
async function replayOutputs(log: EventLog, decode: TopicDecoder, encode: (t: string, v: object) => Uint8Array, predictor: Predictor, partitions: ReadonlyMap<string, number>, holdOnly: boolean, progress: ReplayProgress | null): Promise<Replayed> {
  const out: Replayed = new Map([...partitions].map(([t, n]) => [t, { bytes: Array.from({ length: n }, () => []), values: Array.from({ length: n }, () => []) }]));
  const add = (topic: string, key: string, value: object): void => {
    const o = out.get(topic);
    if (o === undefined) return;
    const p = partitionFor(key, o.bytes.length);
    o.bytes[p]?.push(encode(topic, value));
    o.values[p]?.push(value);
  };
  const sink = {
    onEvent(e: GraphEvent): void {
      if (e.kind === 'signal') add(TOPICS.signals.name, e.signal.symbol, e.signal);
      else if (e.kind === 'health') add(TOPICS.modelHealth.name, e.health.symbol, e.health);
    },
  };
  const stats = await replayLog({
    log,
    decode,
    sinks: [sink],
    predictor,
    config: graphConfigFor(featureSetByHash(predictor.featureSetHash), { ...DEFAULT_SIGNAL_RULE, holdOnly }),
    ...(progress ? { onProgress: (n: number) => progress.update(n), progressEvery: PROGRESS_EVERY_INPUTS } : {}),
  });
  progress?.finish(stats.inputs);
  return out;
}

type Difference = NonNullable<VerifyResult['firstDifference']>;

/** Compares one topic: the two replays with each other, then the first with what the log recorded. */
async function compareTopic(opts: { log: EventLog; decode: TopicDecoder; encode: (t: string, v: object) => Uint8Array }, topic: string, what: string, a: Replayed, b: Replayed, n: number): Promise<{ replayed: number; recorded: number; first?: Difference }> {
  const ta = a.get(topic) as { bytes: Uint8Array[][]; values: unknown[][] };
  const tb = b.get(topic) as { bytes: Uint8Array[][]; values: unknown[][] };
  const replayed = ta.bytes.reduce((s, x) => s + x.length, 0);
  let recorded = 0;
  const haveTopic = (await opts.log.topics()).includes(topic);
  for (let p = 0; p < n; p++) {
    const ra = ta.bytes[p] ?? [];
    const rb = tb.bytes[p] ?? [];
    for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
      if (!sameBytes(ra[i], rb[i])) return { replayed, recorded, first: { topic, partition: p, index: i, recorded: ta.values[p]?.[i] ?? null, replayed: tb.values[p]?.[i] ?? null, why: 'two replays of the same log differ' } };
    }
    let i = 0;
    let first: Difference | undefined;
    if (haveTopic) {
      for await (const batch of opts.log.read(topic, p)) {
        for (const rec of batch) {
          if (first === undefined && !sameRecorded(rec.value, ra[i], opts.decode, opts.encode, topic, ta.values[p]?.[i] as object | undefined)) {
            first = { topic, partition: p, index: i, recorded: safeDecode(opts.decode, topic, rec.value), replayed: ta.values[p]?.[i] ?? null, why: ra[i] === undefined ? `recorded ${what} missing from the replay` : `recorded and replayed ${what} differ` };
          }
          i++;
        }
      }
    }
    recorded += i;
    if (first === undefined && i < ra.length) first = { topic, partition: p, index: i, recorded: null, replayed: ta.values[p]?.[i] ?? null, why: `replay produced a ${what} the live run did not record` };
    if (first !== undefined) return { replayed, recorded, first };
  }
  return { replayed, recorded };
}

/**
 * Replays the log twice and compares, byte for byte and per partition in order, the signals and
 * the model-health reports of both replays with each other and with what the live run recorded.
 */
export async function verifyLog(opts: {
  log: EventLog;
  decode: TopicDecoder;
  encode: (t: string, v: object) => Uint8Array;
  predictor: Predictor;
  holdOnly?: boolean;
  /** Progress of each replay (ReplayProgress lines, `event: 'progress'`); none: silent. */
  logger?: Logger;
  /** Wall milliseconds between two progress lines; default 5,000. */
  progressMs?: number;
}): Promise<VerifyResult> {
  const topics = [TOPICS.signals.name, TOPICS.modelHealth.name];
  const partitions = new Map<string, number>();
  const have = new Set(await opts.log.topics());
  // A log written before model-health existed has no such topic: the catalogue's partition count.
  for (const t of topics) partitions.set(t, t === TOPICS.signals.name || have.has(t) ? await opts.log.partitions(t) : TOPICS.modelHealth.partitions);
  const total = opts.logger ? await replayTotal(opts.log) : 0;
  const progress = (i: number): ReplayProgress | null =>
    opts.logger ? new ReplayProgress({ logger: opts.logger, label: `verify: replay ${i} of 2`, total, ...(opts.progressMs !== undefined ? { everyMs: opts.progressMs } : {}) }) : null;
  const a = await replayOutputs(opts.log, opts.decode, opts.encode, opts.predictor, partitions, opts.holdOnly ?? false, progress(1));
  const b = await replayOutputs(opts.log, opts.decode, opts.encode, opts.predictor, partitions, opts.holdOnly ?? false, progress(2));
  const s = await compareTopic(opts, TOPICS.signals.name, 'signal', a, b, partitions.get(TOPICS.signals.name) as number);
  const h = await compareTopic(opts, TOPICS.modelHealth.name, 'model-health report', a, b, partitions.get(TOPICS.modelHealth.name) as number);
  const first = s.first ?? h.first;
  const modelHealth = { reports: h.replayed, recorded: h.recorded, identical: h.first === undefined };
  const base = { signals: s.replayed, recorded: s.recorded, modelHealth };
  return first === undefined ? { identical: true, ...base } : { identical: false, ...base, firstDifference: first };
}

function sameBytes(x: Uint8Array | undefined, y: Uint8Array | undefined): boolean {
  return x !== undefined && y !== undefined && Buffer.compare(x, y) === 0;
}

/**
 * A recorded signal matches a replayed one when the bytes are the same, or, if it was written
 * under an earlier schema version (another schema id in the frame), when it re-encodes to the
 * same bytes after being read into the current schema (added fields take their defaults): a log
 * recorded before the Signal schema gained a field still verifies. For a topic whose earlier
 * versions are compared in their own encoding (storage/serde/legacy-encodings.ts, D79: the
 * model-health reports), it also matches when the replayed value (`replayedValue`) encodes under
 * such a version to the recorded body: every field the old record holds is the same.
 */
export function sameRecorded(recorded: Uint8Array, replayed: Uint8Array | undefined, decode: TopicDecoder, encode: (t: string, v: object) => Uint8Array, topic: string = TOPICS.signals.name, replayedValue?: object): boolean {
  if (sameBytes(recorded, replayed)) return true;
  if (replayed === undefined || recorded.length < 5 || replayed.length < 5 || Buffer.compare(recorded.subarray(1, 5), replayed.subarray(1, 5)) === 0) return false;
  try {
    if (sameBytes(encode(topic, decode(topic, recorded) as object), replayed)) return true;
  } catch {
    return false;
  }
  if (replayedValue === undefined) return false;
  const body = bodyOf(recorded);
  return legacyBodies(topic, replayedValue).some((b) => sameBytes(b, body));
}

function safeDecode(decode: TopicDecoder, topic: string, bytes: Uint8Array): unknown {
  try {
    return decode(topic, bytes);
  } catch (e) {
    return { undecodable: (e as Error).message };
  }
}
