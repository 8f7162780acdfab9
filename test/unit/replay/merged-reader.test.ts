import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InputEvent } from '../../../processors/types.ts';
import { MergedReader } from '../../../hosts/merged-reader.ts';
import type { OptionChainSnapshot, Trade } from '../../../schemas/index.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';

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
});
