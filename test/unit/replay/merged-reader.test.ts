import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InputEvent } from '../../../processors/types.ts';
import { MergedReader } from '../../../hosts/merged-reader.ts';
import type { OptionChainSnapshot, Trade } from '../../../schemas/index.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import type { EventLog, LogRecord, ReadOptions } from '../../../storage/log/event-log.ts';

const trade = (symbol: string, tsInit: number, id: number): Trade => ({ tsEvent: tsInit - 5, tsInit, symbol, price: 100, size: 1, side: 'BUY', tradeId: id });
const chain = (underlying: string, tsInit: number): OptionChainSnapshot => ({
  tsEvent: tsInit - 50, tsInit, underlying, spot: 100,
  contracts: [{ expiry: tsInit + 86_400_000, strike: 100, right: 'C', bid: 1, ask: 1.2, last: 1.1, iv: 0.5, delta: 0.5, gamma: 0.01, openInterest: 10, volume: 1 }],
});
const describeInput = (e: InputEvent): string =>
  e.kind === 'undecodable' ? `bad@${e.pos.topic}/${e.pos.offset}:${e.reason}` : `${e.kind}:${e.kind === 'chain' ? e.value.underlying : (e.value as Trade).symbol}@${e.value.tsInit}`;

describe('MergedReader: one deterministic order over topics and partitions', () => {
  let dir = '';
  let el: EmbeddedLog;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-merge-'));
    el = await openEmbeddedLog(dir);
    const enc = (topic: string, v: object): { key: string; timestamp: number; value: Uint8Array } => ({ key: (v as { symbol?: string; underlying?: string }).symbol ?? (v as { underlying: string }).underlying, timestamp: (v as { tsEvent: number }).tsEvent, value: el.serde.encode(topic, v) });
    // BTC and ETH land in different partitions (murmur2); appended per topic, not in time order overall.
    await el.log.append('trades', [trade('BTC', 1_000, 1), trade('ETH', 1_000, 2), trade('BTC', 3_000, 3), trade('ETH', 2_000, 4)].map((t) => enc('trades', t)));
    await el.log.append('options', [chain('BTC', 1_000), chain('ETH', 2_500)].map((c) => enc('options', c)));
    // A record that is not Avro at all: it must come out as undecodable with a reason.
    await el.log.append('trades', [{ key: 'BTC', timestamp: 2_200, value: new Uint8Array([9, 9, 9]) }]);
  });
  after(async () => {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('merges partitions by (tsInit, topic, partition, offset), keeping each partition in log order', async () => {
    const out: string[] = [];
    await new MergedReader(el.log, (t, b) => el.serde.decodeAs(t, b)).drain(Number.POSITIVE_INFINITY, (e) => out.push(describeInput(e)));
    // At tsInit 1000: trades before options (topic rank), ETH (partition 1) before BTC (partition 2).
    // Within a partition the log order is kept: the bad record (timestamp 2200) was appended after
    // BTC@3000 in BTC's partition, so it comes after it.
    assert.deepEqual(out, ['trade:ETH@1000', 'trade:BTC@1000', 'chain:BTC@1000', 'trade:ETH@2000', 'chain:ETH@2500', 'trade:BTC@3000', 'bad@trades/2:bad-magic-byte']);
  });

  test('drain(bound) stops at the bound and the next drain continues exactly where it stopped', async () => {
    const reader = new MergedReader(el.log, (t, b) => el.serde.decodeAs(t, b));
    const first: string[] = [];
    const second: string[] = [];
    assert.equal(await reader.drain(2_000, (e) => first.push(describeInput(e))), 4);
    await reader.drain(Number.POSITIVE_INFINITY, (e) => second.push(describeInput(e)));
    const all: string[] = [];
    await new MergedReader(el.log, (t, b) => el.serde.decodeAs(t, b)).drain(Number.POSITIVE_INFINITY, (e) => all.push(describeInput(e)));
    assert.deepEqual([...first, ...second], all);
    assert.deepEqual(first, all.slice(0, 4));
  });

  test('many records across read batches, large chains in smaller reads: the same order as a sort of every record, in any drain steps', async () => {
    // A separate log: 700 trades (beyond one 256-record read) and 40 chains of 300 contracts
    // (~15 KB each, so the reader takes them a few at a time).
    const d = mkdtempSync(join(tmpdir(), 'tickflow-merge-big-'));
    const big = await openEmbeddedLog(d);
    try {
      const bigChain = (u: string, tsInit: number): OptionChainSnapshot => ({ ...chain(u, tsInit), contracts: Array.from({ length: 300 }, (_, k) => ({ ...chain(u, tsInit).contracts[0]!, strike: 50 + k })) });
      const trades = Array.from({ length: 700 }, (_, i) => trade(i % 3 === 0 ? 'ETH' : 'BTC', 10_000 + 7 * i - (i % 5), i));
      const chains = Array.from({ length: 40 }, (_, i) => bigChain(i % 2 === 0 ? 'BTC' : 'ETH', 10_000 + 120 * i));
      await big.log.append('trades', trades.map((t) => ({ key: t.symbol, timestamp: t.tsEvent, value: big.serde.encode('trades', t) })));
      await big.log.append('options', chains.map((c) => ({ key: c.underlying, timestamp: c.tsEvent, value: big.serde.encode('options', c) })));
      // Independent expectation: every record read back whole, sorted by (tsInit, topic rank, partition, offset).
      const rows: { k: [number, number, number, number]; s: string }[] = [];
      for (const [rank, topic] of ['trades', 'options'].entries()) {
        for (let p = 0; p < (await big.log.partitions(topic)); p++) {
          for await (const batch of big.log.read(topic, p)) {
            for (const r of batch) {
              const v = big.serde.decodeAs<Trade | OptionChainSnapshot>(topic, r.value);
              rows.push({ k: [v.tsInit, rank, p, r.offset], s: topic === 'trades' ? `trade:${(v as Trade).symbol}@${v.tsInit}` : `chain:${(v as OptionChainSnapshot).underlying}@${v.tsInit}` });
            }
          }
        }
      }
      rows.sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.k[3] - b.k[3]);
      const expected = rows.map((r) => r.s);
      assert.equal(expected.length, 740);
      const decode = (t: string, b: Uint8Array): unknown => big.serde.decodeAs(t, b);
      const whole: string[] = [];
      await new MergedReader(big.log, decode).drain(Number.POSITIVE_INFINITY, (e) => whole.push(describeInput(e)));
      assert.deepEqual(whole, expected);
      // In bounded steps, with positions() after each: the consumed offsets always add up to the
      // inputs emitted so far (nothing buffered counts as consumed).
      const reader = new MergedReader(big.log, decode);
      const stepped: string[] = [];
      for (let bound = 10_000; bound < 16_000; bound += 333) {
        await reader.drain(bound, (e) => stepped.push(describeInput(e)));
        assert.equal(reader.positions().reduce((n, p) => n + p.offset, 0), stepped.length);
      }
      await reader.drain(Number.POSITIVE_INFINITY, (e) => stepped.push(describeInput(e)));
      assert.deepEqual(stepped, expected);
    } finally {
      await big.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
  test('reuseTrades: the same inputs, each described as it is emitted, with one trade event object per partition', async () => {
    const decode = (t: string, b: Uint8Array, reuse?: object): unknown => el.serde.decodeAs(t, b, reuse);
    const plain: string[] = [];
    await new MergedReader(el.log, decode).drain(Number.POSITIVE_INFINITY, (e) => plain.push(describeInput(e)));
    const reused: string[] = [];
    const tradeEvents = new Set<object>();
    const tradeValues = new Set<object>();
    await new MergedReader(el.log, decode, undefined, undefined, { reuseTrades: true }).drain(Number.POSITIVE_INFINITY, (e) => {
      reused.push(describeInput(e));
      if (e.kind === 'trade') {
        tradeEvents.add(e);
        tradeValues.add(e.value);
      }
    });
    assert.deepEqual(reused, plain);
    const tradePartitions = new Set(plain.filter((s) => s.startsWith('trade:')).map((s) => s.slice(6, 9))).size;
    assert.equal(tradeEvents.size, tradePartitions, 'one event object per trades partition');
    assert.equal(tradeValues.size, tradePartitions, 'one Trade record per trades partition');
  });

  test('runs of one partition and ties on tsInit across topics and partitions: the order of a sort by (tsInit, topic, partition, offset), in any drain and max steps', async () => {
    // The reader emits a partition's records in a run while its head stays before every other
    // head; ties (same tsInit) must still go by topic rank, then partition, then offset. Each
    // partition is in tsInit order here, so the merge is a sort of all records.
    const d = mkdtempSync(join(tmpdir(), 'tickflow-merge-ties-'));
    const tl = await openEmbeddedLog(d);
    try {
      const symbols = ['BTC', 'ETH', 'SOL', 'XRP'];
      const trades = Array.from({ length: 600 }, (_, i) => trade(symbols[(i * 7) % 4] as string, 1_000 + 10 * Math.floor(i / 6), i));
      const chains = Array.from({ length: 60 }, (_, i) => chain(symbols[i % 4] as string, 1_000 + 10 * Math.floor(i / 2) * 3));
      await tl.log.append('trades', trades.map((t) => ({ key: t.symbol, timestamp: t.tsEvent, value: tl.serde.encode('trades', t) })));
      await tl.log.append('options', chains.map((c) => ({ key: c.underlying, timestamp: c.tsEvent, value: tl.serde.encode('options', c) })));
      const at = (topic: string, p: number, offset: number): string => `${topic}/${p}/${offset}`;
      const rows: { k: [number, number, number, number]; s: string }[] = [];
      for (const [rank, topic] of ['trades', 'options'].entries()) {
        for (let p = 0; p < (await tl.log.partitions(topic)); p++) {
          for await (const batch of tl.log.read(topic, p)) {
            for (const r of batch) rows.push({ k: [tl.serde.decodeAs<Trade | OptionChainSnapshot>(topic, r.value).tsInit, rank, p, r.offset], s: at(topic, p, r.offset) });
          }
        }
      }
      rows.sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.k[3] - b.k[3]);
      const expected = rows.map((r) => r.s);
      assert.equal(expected.length, 660);
      assert.ok(new Set(rows.map((r) => r.k[0])).size < 300, 'many ties on tsInit');
      const decode = (t: string, b: Uint8Array): unknown => tl.serde.decodeAs(t, b);
      const name = (e: InputEvent): string => at(e.pos.topic, e.pos.partition, e.pos.offset);
      const whole: string[] = [];
      await new MergedReader(tl.log, decode).drain(Number.POSITIVE_INFINITY, (e) => whole.push(name(e)));
      assert.deepEqual(whole, expected);
      // Bounded drains that stop on a tie, and drains capped at `max` inputs (the consumer group's rounds).
      for (const max of [1, 7, 64]) {
        const reader = new MergedReader(tl.log, decode);
        const stepped: string[] = [];
        for (let bound = 1_000; bound <= 1_100; bound += 10) {
          for (;;) {
            const n = await reader.drain(bound, (e) => stepped.push(name(e)), max);
            assert.ok(n <= max);
            if (n < max) break;
          }
        }
        while ((await reader.drain(Number.POSITIVE_INFINITY, (e) => stepped.push(name(e)), max)) > 0);
        assert.deepEqual(stepped, expected, `max ${max}`);
      }
    } finally {
      await tl.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

/**
 * One partition of `trades` whose offsets have gaps, as a Kafka partition written in transactions
 * has: every commit marker takes an offset that no record has (here one after every 3 records).
 * read() gives the records in [fromOffset, toOffset), batchSize at a time, as KafkaEventLog does.
 */
class GapLog implements EventLog {
  readonly records: LogRecord[];
  constructor(n: number) {
    this.records = Array.from({ length: n }, (_, i) => ({ topic: 'trades', partition: 0, offset: i + Math.floor(i / 3), key: 'BTC', timestamp: i, value: new TextEncoder().encode(String(i)) }));
  }
  async partitions(): Promise<number> {
    return 1;
  }
  async *read(_topic: string, _partition: number, o: ReadOptions = {}): AsyncIterable<LogRecord[]> {
    const from = o.fromOffset ?? 0;
    const to = o.toOffset ?? Number.POSITIVE_INFINITY;
    const rs = this.records.filter((r) => r.offset >= from && r.offset < to);
    const size = o.batchSize ?? 4096;
    for (let i = 0; i < rs.length; i += size) yield rs.slice(i, i + size);
  }
  append(): never {
    throw new Error('not needed');
  }
  endOffset(): never {
    throw new Error('not needed');
  }
  offsetForTime(): never {
    throw new Error('not needed');
  }
  follow(): never {
    throw new Error('not needed');
  }
  async topics(): Promise<string[]> {
    return ['trades'];
  }
  async close(): Promise<void> {}
}

describe('MergedReader on a partition whose offsets have gaps (transaction markers)', () => {
  // The record's index is its value and its tsInit, so the expected order is 0..n-1, each once.
  const decode = (_t: string, b: Uint8Array): Trade => trade('BTC', Number(new TextDecoder().decode(b)), 0);
  const indexOf = (e: InputEvent): number => (e.kind === 'trade' ? e.value.tsInit : -1);

  test('every record comes out once, in offset order, across reads (a read goes on after the last record, not by count)', async () => {
    // 700 records over offsets 0..932: more than one 256-record read, so reads after the first
    // start where the previous ended. Counting would start the second read at 256 instead of 341.
    const log = new GapLog(700);
    const out: number[] = [];
    await new MergedReader(log, decode, ['trades']).drain(Number.POSITIVE_INFINITY, (e) => out.push(indexOf(e)));
    assert.deepEqual(out, Array.from({ length: 700 }, (_, i) => i));
  });

  test('positions() is the offset of the next record to emit, and a reader started there goes on with exactly the rest', async () => {
    const log = new GapLog(700);
    const reader = new MergedReader(log, decode, ['trades']);
    const first: number[] = [];
    for (const max of [5, 250, 100]) await reader.drain(Number.POSITIVE_INFINITY, (e) => first.push(indexOf(e)), max);
    assert.deepEqual(first, Array.from({ length: 355 }, (_, i) => i));
    const at = reader.positions();
    assert.deepEqual(at, [{ topic: 'trades', partition: 0, offset: log.records[355]!.offset }]);
    const resumed = new MergedReader(log, decode, ['trades']);
    await resumed.startAt(new Map([['trades/0', at[0]!.offset]]));
    const rest: number[] = [];
    await resumed.drain(Number.POSITIVE_INFINITY, (e) => rest.push(indexOf(e)));
    assert.deepEqual(rest, Array.from({ length: 345 }, (_, i) => 355 + i));
    await reader.drain(Number.POSITIVE_INFINITY, () => undefined);
    assert.deepEqual(reader.positions(), [{ topic: 'trades', partition: 0, offset: log.records[699]!.offset + 1 }]);
  });
});
