import type { SessionCalendar } from '../../processors/calendar/index.ts';
import { TOPICS, intervalMs, type Bar } from '../../schemas/index.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { candleToBar, type CandleInput } from './candle-input.ts';
import { existingIdentities } from './existing-identities.ts';
import { missingIntervals } from './gap-counter.ts';
import { IngestStats } from './ingest-stats.ts';
import type { Parsed } from './parsed.ts';
import { aheadOfLiveFeed, availableAt, gateTimes, type TimeBounds } from './plausibility.ts';
import { TopicAppender } from './topic-appender.ts';

export interface IngestTarget {
  log: EventLog;
  encode: (topic: string, value: object) => Uint8Array;
  decode: (topic: string, bytes: Uint8Array) => unknown;
}

/** Identity of a candle in the log: symbol|interval|start. */
export function candleId(b: Pick<Bar, 'symbol' | 'interval' | 'start'>): string {
  return `${b.symbol}|${b.interval}|${b.start}`;
}

interface SeriesState {
  start: number;
  interval: string;
}

/**
 * Validates parsed candles (candleToBar, then the time gate of plausibility.ts: a future-dated or
 * far-jumping candle is rejected before it can move a series' last time), counts gaps per series on the calendar, skips candles the log
 * already holds (`duplicate`) or that would land before the series' last stored candle
 * (`older-than-log`: the log stays in time order per key), drops candles closing after the
 * log's live feed (`ahead-of-live-feed`, plausibility.ts), and appends the rest to `candles`
 * keyed by symbol with record timestamp = tsEvent (the close).
 */
export async function ingestCandles(
  rows: AsyncIterable<Parsed<CandleInput>>,
  target: IngestTarget,
  calendar: SessionCalendar,
  bounds: TimeBounds,
  onRow?: () => void,
): Promise<IngestStats> {
  const topic = TOPICS.candles.name;
  const existing = await existingIdentities<Bar>(target.log, topic, target.decode, (b) => ({ id: candleId(b), key: `${b.symbol}|${b.interval}`, ts: b.tsEvent }), bounds.nowMs + bounds.futureToleranceMs);
  const stats = new IngestStats();
  const appender = new TopicAppender(target.log, topic);
  const series = new Map<string, SeriesState>();
  async function* bars(): AsyncGenerator<Parsed<Bar>> {
    for await (const row of rows) {
      onRow?.();
      yield row.ok ? candleToBar(row.value) : row;
    }
  }
  for await (const parsed of gateTimes(bars(), (b) => `${b.symbol}|${b.interval}`, (b) => b.tsEvent, bounds)) {
    if (!parsed.ok) {
      stats.reject(parsed.reason);
      continue;
    }
    const bar = parsed.value;
    const prev = series.get(bar.symbol);
    if (prev !== undefined) {
      if (bar.interval !== prev.interval) {
        stats.reject('interval-changed');
        continue;
      }
      if (bar.start === prev.start) {
        stats.reject('duplicate');
        continue;
      }
      if (bar.start < prev.start) {
        stats.reject('out-of-order');
        continue;
      }
      const missing = missingIntervals(calendar, prev.start, bar.start, intervalMs(bar.interval));
      if (missing > 0) {
        stats.gaps += missing;
        stats.gapRuns++;
      }
    }
    series.set(bar.symbol, { start: bar.start, interval: bar.interval });
    if (existing.ids.has(candleId(bar))) {
      stats.reject('duplicate');
      continue;
    }
    if (aheadOfLiveFeed(bounds, bar.tsInit)) {
      stats.reject('ahead-of-live-feed');
      continue;
    }
    if (bar.tsEvent < (existing.lastTs.get(`${bar.symbol}|${bar.interval}`) ?? Number.NEGATIVE_INFINITY)) {
      stats.reject('older-than-log');
      continue;
    }
    stats.accept(bar.symbol, bar.tsEvent);
    await appender.push({ key: bar.symbol, timestamp: bar.tsEvent, value: target.encode(topic, { ...bar, tsInit: availableAt(bounds, bar.tsInit) }) });
  }
  await appender.flush();
  return stats;
}
