import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import { threadedDrain } from '../../../hosts/replay/reader-thread.ts';
import { workerFlags } from '../../../lib/worker-flags.ts';
import { newHandoffWaits, type HandoffWaits } from '../../../hosts/replay/input-handoff.ts';
import { INPUT_TOPICS, MergedReader } from '../../../hosts/merged-reader.ts';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import type { InputEvent } from '../../../processors/types.ts';
import type { Bar } from '../../../schemas/index.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { toyPredictor } from '../../helpers/toy-predictor.ts';

/**
 * Replay's reader thread (hosts/replay/reader-thread.ts, D169) must hand the graph exactly the
 * inputs, in exactly the order, that the in-thread merged reader gives: every field of every
 * input, and so every output of the graph. The log has trades, option chains, candles and
 * undecodable records in both the trades and options topics; small chunks make inputs cross chunk
 * ends and the chains too large for a chunk (sent by message).
 */
describe('replay reader thread', () => {
  let dir = '';
  let el: EmbeddedLog;
  const decode = (t: string, b: Uint8Array): unknown => el.serde.decodeAs(t, b);
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-reader-thread-'));
    el = await openEmbeddedLog(join(dir, 'log'));
    const r = await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.25, seed: 7, signalStrength: 1 }));
    assert.ok(r.events > 2_000, `events ${r.events}`);
    const t0 = Date.UTC(2026, 0, 1);
    // Records that do not decode (not Avro at all, a truncated trade), and candles.
    await el.log.append('trades', [
      { key: 'BTC', timestamp: t0 + 60_000, value: new Uint8Array([9, 9, 9]) },
      { key: 'ETH', timestamp: t0 + 120_000, value: el.serde.encode('trades', { tsEvent: t0, tsInit: t0, symbol: 'ETH', price: 1, size: 1, side: 'BUY', tradeId: 1 }).slice(0, 9) },
    ]);
    await el.log.append('options', [{ key: 'BTC', timestamp: t0 + 90_000, value: new Uint8Array(5000).fill(7) }]);
    const bar = (i: number): Bar => ({ tsEvent: t0 + i * 60_000, tsInit: t0 + i * 60_000 + 5, symbol: 'CNDL', interval: '1m', start: t0 + (i - 1) * 60_000, end: t0 + i * 60_000, open: 10 + i, high: 11 + i, low: 9 + i, close: 10.5 + i, volume: 100 * i, buyVolume: i % 2 === 0 ? null : 40 * i, vwap: 10.2 + i, trades: 7 * i });
    await el.log.append('candles', [1, 2, 3, 4, 5].map((i) => ({ key: 'CNDL', timestamp: t0 + i * 60_000, value: el.serde.encode('candles', bar(i)) })));
  });
  after(async () => {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every field of every input, as the emit saw it at that moment (trades come in reused objects). */
  const fingerprint = (e: InputEvent): string => {
    const { pos } = e;
    const at = `${pos.topic}/${pos.partition}@${pos.offset}`;
    if (e.kind === 'undecodable') return `${at} bad ${e.key} ${e.tsInit} ${e.reason} ${createHash('sha256').update(e.payload).digest('hex')} ${e.payload.constructor.name}`;
    return `${at} ${e.kind} ${JSON.stringify(e.value)}`;
  };

  const inThread = async (): Promise<string[]> => {
    const out: string[] = [];
    await new MergedReader(el.log, decode, INPUT_TOPICS, undefined, { reuseTrades: true }).drain(Number.POSITIVE_INFINITY, (e) => out.push(fingerprint(e)));
    return out;
  };

  test('the same inputs in the same order as the in-thread reader, whole log through the thread, across chunk ends and large records, trades decoded by either thread', async () => {
    const want = await inThread();
    const kinds = new Set(want.map((s) => s.split(' ')[1]));
    assert.deepEqual([...kinds].sort(), ['bad', 'candle', 'chain', 'trade'], 'the log has every kind of input');
    const shapes = [
      { ring: 3, chunkBytes: 1024, decodeTrades: 'alternate' as const },
      { ring: 1, chunkBytes: 256, decodeTrades: 'alternate' as const },
      { ring: 2, chunkBytes: 2048, decodeTrades: 'reader' as const },
      { ring: 2, chunkBytes: 2048, decodeTrades: 'graph' as const },
      {},
    ];
    for (const shape of shapes) {
      const got: string[] = [];
      const n = await threadedDrain({ log: el.log, dir: join(dir, 'log'), topics: INPUT_TOPICS, decode, slice: 0, ...shape }, (e) => got.push(fingerprint(e)));
      assert.equal(n, want.length, JSON.stringify(shape));
      assert.deepEqual(got, want, JSON.stringify(shape));
    }
  });

  test('the reader thread loads its modules bundled by esbuild, or through tsx when asked: the same inputs either way', async () => {
    const want = await inThread();
    for (const boot of ['bundle', 'tsx'] as const) {
      const got: string[] = [];
      const waits = newHandoffWaits();
      await threadedDrain({ log: el.log, dir: join(dir, 'log'), topics: INPUT_TOPICS, decode, slice: 0, ring: 2, chunkBytes: 2048, boot, waits }, (e) => got.push(fingerprint(e)));
      // Not silently through tsx: the bundle is what runs unless tsx is asked for.
      assert.equal(waits.boot, boot);
      assert.ok(waits.readyMs !== undefined && waits.readyMs > 0, `ready after ${String(waits.readyMs)} ms`);
      assert.deepEqual(got, want, boot);
    }
    // The worker gets source maps and the profilers' flags of this process, not its module hooks (the
    // boot script loads the modules) nor V8's flags (a worker's execArgv refuses them).
    assert.deepEqual(workerFlags(['--import', 'tsx', '--expose-gc', '--enable-source-maps', '--cpu-prof', '--cpu-prof-dir=/tmp/p', '--max-old-space-size=4096']), ['--enable-source-maps', '--cpu-prof', '--cpu-prof-dir=/tmp/p']);
  });

  test('a head start in this thread, then the reader thread from the cut: the same sequence whatever the cut', async () => {
    const want = await inThread();
    for (const slice of [1, 97, 5_000]) {
      const got: string[] = [];
      await threadedDrain({ log: el.log, dir: join(dir, 'log'), topics: INPUT_TOPICS, decode, slice, ring: 2, chunkBytes: 2048, decodeTrades: 'alternate' }, (e) => got.push(fingerprint(e)));
      assert.deepEqual(got, want, `slice ${slice}`);
    }
  });

  test('the graph gives the same outputs, signals included, with the reader thread as without', async () => {
    // The hand-off's waits (bench/measure.ts reports them): filled in by a threaded replay only.
    const unset = (): HandoffWaits => ({ graph: { count: -1, ms: -1 }, reader: { count: -1, ms: -1 } });
    const run = async (readerThread: 'on' | 'off', waits: HandoffWaits): Promise<string[]> => {
      const out: string[] = [];
      const stats = await replayLog({ log: el.log, decode, predictor: toyPredictor(), sinks: [{ onEvent: (e: GraphEvent) => void out.push(JSON.stringify(e)) }], readerThread, handoff: { ring: 2, chunkBytes: 4096, decodeTrades: 'alternate', waits } });
      out.push(JSON.stringify(stats));
      return out;
    };
    const offWaits = unset();
    const off = await run('off', offWaits);
    assert.ok(off.some((s) => s.startsWith('{"kind":"signal"')), 'the replay makes signals');
    assert.equal(off.filter((s) => s.startsWith('{"kind":"deadLetter"')).length, 3, 'the replay dead-letters the three bad records');
    assert.deepEqual(offWaits, unset(), 'no hand-off on one thread');
    const onWaits = unset();
    assert.deepEqual(await run('on', onWaits), off);
    for (const side of ['graph', 'reader'] as const) {
      assert.ok(onWaits[side].count >= 0 && onWaits[side].ms >= 0, `the ${side} side's waits are reported: ${JSON.stringify(onWaits)}`);
    }
  });

  test("an error in the graph's thread stops the reader thread and rejects with that error", async () => {
    let seen = 0;
    await assert.rejects(
      threadedDrain({ log: el.log, dir: join(dir, 'log'), topics: INPUT_TOPICS, decode, slice: 0, ring: 2, chunkBytes: 1024 }, () => {
        if (++seen === 500) throw new Error('sink failed');
      }),
      /sink failed/,
    );
    assert.equal(seen, 500);
  });

  test("the reader thread's failure rejects the replay with its reason", async () => {
    const notALog = join(dir, 'empty');
    mkdirSync(notALog);
    await assert.rejects(
      threadedDrain({ log: el.log, dir: notALog, topics: INPUT_TOPICS, decode, slice: 0 }, () => undefined),
      /replay's reader thread: /,
    );
  });
});
