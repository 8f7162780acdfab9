import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { RecentIds, TopicGateway, type Channel, type GatewayReport, type TopicGatewayOptions } from '../../../sinks/ws/index.ts';
import { waitUntil } from './ws-test-client.ts';
import { recordingLogger } from '../../helpers/log-records.ts';

const T0 = 1_700_000_100_000;
const signal = (symbol: string, i: number): Signal => ({
  id: `sig-${symbol}-${i}`,
  tsEvent: T0 + i * 300_000,
  tsInit: T0 + i * 300_000 + 1,
  symbol,
  interval: '5m',
  barEnd: T0 + i * 300_000,
  pUp: 0.5,
  pFlat: 0.25,
  pDown: 0.25,
  action: 'BUY',
  confidence: 0.5,
  modelId: 'm',
  featureSetHash: 'h',
  inputs: [],
});
const bar = (symbol: string, i: number): Bar => ({
  tsEvent: T0 + i * 60_000,
  tsInit: T0 + i * 60_000 + 1,
  symbol,
  interval: '1m',
  start: T0 + (i - 1) * 60_000,
  end: T0 + i * 60_000,
  open: 1,
  high: 2,
  low: 0.5,
  close: 1.5,
  volume: 10,
  buyVolume: null,
  vwap: 1.2,
  trades: 3,
});

interface Published {
  channel: Channel;
  symbol: string;
  id: string;
}

describe('TopicGateway', () => {
  let dir: string;
  let el: EmbeddedLog;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-gateway-'));
    el = await openEmbeddedLog(dir, { pollIntervalMs: 10 });
  });
  afterEach(async () => {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = async (topic: Channel, values: (Signal | Bar)[]): Promise<void> => {
    await el.log.append(topic, values.map((v) => ({ key: v.symbol, timestamp: v.tsEvent, value: el.serde.encode(topic, v) })));
  };
  const idOf = (channel: Channel, v: object): string => (channel === 'signals' ? (v as Signal).id : `${(v as Bar).symbol}|${(v as Bar).interval}|${(v as Bar).end}`);

  /** Runs a gateway over the embedded log; `stop` aborts it and returns its report. */
  async function start(options: Partial<TopicGatewayOptions> = {}): Promise<{ published: Published[]; stop: () => Promise<GatewayReport> }> {
    const published: Published[] = [];
    const ac = new AbortController();
    let following = (): void => undefined;
    const ready = new Promise<void>((resolve) => (following = resolve));
    const gateway = new TopicGateway({
      log: el.log,
      decode: (t, b) => el.serde.decodeAs(t, b),
      publish: (channel, symbol, payload) => published.push({ channel, symbol, id: idOf(channel, payload) }),
      onFollowing: () => following(),
      ...options,
    });
    const done = gateway.run(ac.signal);
    await Promise.race([ready, done]);
    return {
      published,
      stop: async () => {
        ac.abort();
        return done;
      },
    };
  }

  test('from the end: publishes what comes after the start once per id, in partition order; copies of earlier records are dropped too', async () => {
    const before = [signal('BTC', 1), signal('ETH', 1), signal('BTC', 2)];
    await append('signals', before);
    const g = await start();
    // BTC 2 is a copy of a record from before the start; ETH 3 a copy of one after it.
    const after = [signal('BTC', 3), signal('BTC', 2), signal('ETH', 3), signal('SOL', 1), signal('ETH', 3), signal('BTC', 4)];
    await append('signals', after);
    await append('bars', [bar('BTC', 1), bar('BTC', 1), bar('ETH', 1)]);
    await waitUntil(() => g.published.length === 6, 'six publishes');
    const report = await g.stop();

    assert.deepEqual(report, {
      signals: { published: 4, duplicatesDropped: 2, undecodable: 0 },
      bars: { published: 2, duplicatesDropped: 1, undecodable: 0 },
    });
    const wanted = ['sig-BTC-3', 'sig-ETH-3', 'sig-SOL-1', 'sig-BTC-4'];
    for (let p = 0; p < 4; p++) {
      const inP = (id: string): boolean => partitionFor(id.split('-')[1]!, 4) === p;
      const got = g.published.filter((x) => x.channel === 'signals' && inP(x.id)).map((x) => x.id);
      assert.deepEqual(got, wanted.filter(inP), `partition ${p} in offset order`);
    }
    assert.deepEqual(g.published.filter((x) => x.channel === 'bars').map((x) => x.id).sort(), [`BTC|1m|${T0 + 60_000}`, `ETH|1m|${T0 + 60_000}`]);
    assert.ok(g.published.every((x) => x.id.includes(x.symbol)), 'published under the record symbol');
  });

  test('from earliest: publishes the whole topic, copies dropped', async () => {
    await append('signals', [signal('BTC', 1), signal('BTC', 1), signal('ETH', 1)]);
    const g = await start({ from: 'earliest' });
    await waitUntil(() => g.published.length === 2, 'two publishes');
    const report = await g.stop();
    assert.deepEqual(report.signals, { published: 2, duplicatesDropped: 1, undecodable: 0 });
  });

  test('the memory is bounded: a copy further back than recentIds records of its partition is published again', async () => {
    const g = await start({ recentIds: 2 });
    // One symbol, one partition: BTC 1 has left a memory of 2 when its copy arrives; BTC 3 has not.
    await append('signals', [signal('BTC', 1), signal('BTC', 2), signal('BTC', 3), signal('BTC', 1), signal('BTC', 3), signal('BTC', 9)]);
    await waitUntil(() => g.published.some((x) => x.id === 'sig-BTC-9'), 'the last signal');
    const report = await g.stop();
    assert.deepEqual(g.published.map((x) => x.id), ['sig-BTC-1', 'sig-BTC-2', 'sig-BTC-3', 'sig-BTC-1', 'sig-BTC-9']);
    assert.equal(report.signals.duplicatesDropped, 1);
  });

  test('a record that does not decode is counted and skipped; the partition goes on', async () => {
    const { logger, records } = recordingLogger();
    const g = await start({ logger });
    await el.log.append('signals', [{ key: 'BTC', timestamp: T0, value: new Uint8Array([9, 9, 9]) }]);
    await append('signals', [signal('BTC', 1)]);
    await waitUntil(() => g.published.length === 1, 'the good record');
    const report = await g.stop();
    assert.deepEqual(report.signals, { published: 1, duplicatesDropped: 0, undecodable: 1 });
    assert.deepEqual(records.map((r) => [r.level, r.topic, r.offset]), [[40, 'signals', 0]]);
    assert.match(records[0]?.msg ?? '', /signals\/\d offset 0 does not decode/);
  });
});

describe('RecentIds', () => {
  test('keeps the last capacity distinct ids, oldest evicted first', () => {
    const r = new RecentIds(2);
    assert.equal(r.add('a'), true);
    assert.equal(r.add('b'), true);
    assert.equal(r.add('a'), false);
    assert.equal(r.add('c'), true); // evicts a
    assert.equal(r.size, 2);
    assert.equal(r.add('b'), false);
    assert.equal(r.add('a'), true);
  });

  test('refuses a capacity below 1', () => {
    assert.throws(() => new RecentIds(0), RangeError);
  });
});
