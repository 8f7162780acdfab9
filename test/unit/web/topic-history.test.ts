import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Bar } from '../../../schemas/index.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { TopicHistory } from '../../../sinks/web/topic-history.ts';

const T0 = Date.UTC(2026, 0, 5);
const M5 = 300_000;
const bar = (i: number): Bar => ({ tsEvent: T0 + i * M5, tsInit: T0 + i * M5, symbol: 'BTC', interval: '5m', start: T0 + (i - 1) * M5, end: T0 + i * M5, open: i, high: i, low: i, close: i, volume: 1, buyVolume: null, vwap: i, trades: 1 });

test('the decoded-record cache follows appends, and reads beyond it give the same rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-history-'));
  const el = await openEmbeddedLog(dir);
  try {
    const append = (from: number, to: number): Promise<unknown> =>
      el.log.append('bars', Array.from({ length: to - from }, (_, k) => ({ key: 'BTC', timestamp: T0 + (from + k) * M5, value: el.serde.encode('bars', bar(from + k)) })));
    await append(1, 301);
    const decode = (t: string, b: Uint8Array): unknown => el.serde.decodeAs(t, b);
    const cached = new TopicHistory(el.log, decode, 100); // smaller than the data: old reads bypass it
    const uncached = new TopicHistory(el.log, decode, 0);
    const ends = (r: { rows: Bar[] }): number[] => r.rows.map((b) => (b.end - T0) / M5);
    const q = { symbol: 'BTC', interval: '5m', limit: 50 };
    assert.deepEqual(ends(await cached.bars(q)), Array.from({ length: 50 }, (_, k) => 251 + k));
    await append(301, 311);
    assert.deepEqual(ends(await cached.bars(q)), Array.from({ length: 50 }, (_, k) => 261 + k), 'new appends are seen');
    const deep = { ...q, limit: 300, from: T0 + 5 * M5, to: T0 + 305 * M5 };
    assert.deepEqual(await cached.bars(deep), await uncached.bars(deep));
    assert.deepEqual(ends(await cached.bars(deep)), Array.from({ length: 300 }, (_, k) => 5 + k));
  } finally {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
