import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { runCli, spawnCli, tempDir } from '../helpers/cli.ts';
import { runCliBatch } from '../helpers/cli-batch.ts';
import { FakeBinance, tape, type RecordedTrade } from '../helpers/fake-binance.ts';
import { logRecords } from '../helpers/log-records.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { openLogFrom, topicSize } from '../../cli/log-access.ts';
import type { Trade } from '../../schemas/index.ts';

/**
 * `start --source binance:...` end to end, against a local server speaking Binance's REST and
 * WebSocket protocol (no network here): the stream is cut mid-way, the trades in between are
 * backfilled once by REST, repeated ones are dead-lettered, the log holds the venue's tape exactly,
 * and `verify` replays the log to the same outputs the live run wrote.
 */
// The test stops the feed once the log holds all 600 trades of the tape (read from the log itself,
// read-only, while `start` writes it). Twice in CI (2026-11-29 and 2026-11-30) the log stopped at
// 460: ccxt had reopened the dropped socket by itself inside watchTrades, so the feed saw no
// disconnect and ran no backfill; the stream went on at trade 190 and ids 120..189 of both symbols
// (140 trades) were reported as gaps and lost. The feed now asks REST for any hole in the stream's
// ids (CcxtTradeFeed.fillHole; unit test in test/unit/live/ccxt-trade-feed.test.ts).
test('start --source binance: disconnect mid-stream → backfill once → log == tape, verify identical', async () => {
  const tmp = tempDir('tickflow-venue-');
  const fake = new FakeBinance();
  await fake.start();
  const spawned: ChildProcess[] = [];
  after(async () => {
    // A failed wait must not leave `start` running: the test process would wait for it forever.
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await fake.stop();
    tmp.cleanup();
  });
  const model = join(tmp.dir, 'model');
  // A model trained quickly on the synthetic market (it sees only features, not symbol names): the
  // venue run below is --hold-only, so what the model learned does not matter, only that it loads
  // and scores. Half a day of history, one logistic fit without folds, all in ONE process
  // (test/helpers/cli-batch.ts); it was a `start` whose first run fitted every family.
  const made = await runCliBatch([
    ['generate', '--out', join(tmp.dir, 'synthetic'), '--days', '0.5'],
    ['replay', 'dataset', '--log', join(tmp.dir, 'synthetic'), '--out', join(tmp.dir, 'train.csv')],
    ['train', '--dataset', join(tmp.dir, 'train.csv'), '--out', model, '--seed', '1', '--family', 'logistic', '--cv-folds', '0'],
  ]);
  for (const r of made) assert.equal(r.code, 0, r.stderr);

  const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
  const all = tape(SYMBOLS, 300, { stepMs: 3000 });
  const ids = (lo: number, hi: number): RecordedTrade[] => all.filter((t) => t.a >= 1000 + lo && t.a < 1000 + hi);
  fake.trades.push(...ids(0, 200));
  const log = join(tmp.dir, 'log');
  const child = spawnCli(['start', '--source', `binance:${SYMBOLS.join(',')}`, '--log', log, '--model', model, '--hold-only', '--no-ws', '--venue-rest', fake.restUrl, '--venue-ws', fake.wsUrl, '--stall-seconds', '1']);
  let stderr = '';
  let stdout = '';
  spawned.push(child);
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  /** Trades the log holds now (0 before `start` has created it). */
  const loggedTrades = async (): Promise<number> => {
    let access;
    try {
      access = await openLogFrom({ log }, { readOnly: true });
    } catch {
      return 0;
    }
    try {
      return await topicSize(access.log, 'trades');
    } finally {
      await access.close();
    }
  };
  let logged = 0;

  // 60 s: under a loaded CI machine `start` took more than 30 s to load and subscribe (2026-11-30).
  await waitFor(() => `first subscription\n${stderr}`, () => fake.subscriptions.length >= 2, { timeoutMs: 60_000 });
  for (const t of ids(0, 120)) fake.send(t);
  fake.disconnect(); // mid-stream: whatever the stream did not deliver is in REST's history (0..199)
  await waitFor(() => `resubscribed\n${stderr}`, () => fake.subscriptions.length >= 4, { timeoutMs: 30_000 });
  fake.trades.push(...ids(200, 300));
  for (const t of ids(190, 300)) fake.send(t); // 190..199 again: duplicates
  // Then silence: the watchdog reopens the stream and backfills by REST what it missed, until the
  // log holds the whole tape.
  await waitFor(
    () => `the log to hold the tape's 600 trades (it holds ${logged}); feed events: ${logRecords(stderr).map((r) => r.event).filter(Boolean).join(', ')}`,
    async () => (logged = await loggedTrades()) >= 600,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  child.kill('SIGINT');
  assert.equal(await exited, 0, stderr);
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { feed: { appended: number; backfilled: number; gaps: number; deadLetters: Record<string, number> }; inputs: number };
  assert.equal(summary.feed.appended, 600, 'every trade of the tape once');
  assert.ok(summary.feed.backfilled >= 2 * 80, `the cut-off trades came by REST (${summary.feed.backfilled})`);
  assert.equal(summary.feed.gaps, 0);
  // Whether 190..199 reach the feed from the stream (dead-lettered as duplicates) or were still in
  // ccxt's buffer when the watchdog reopened the stream depends on timing; either way the log holds
  // each once (below). The unit test (test/unit/live/ccxt-trade-feed.test.ts) counts the duplicates.
  assert.equal(summary.inputs, 600, 'the graph processed each logged trade once');

  const access = await openLogFrom({ log });
  try {
    for (const s of SYMBOLS) {
      const got: number[] = [];
      const parts = await access.log.partitions('trades');
      for (let p = 0; p < parts; p++) for await (const b of access.log.read('trades', p, { fromOffset: 0 })) for (const r of b) {
        const t = access.decode('trades', r.value) as Trade;
        if (t.symbol === s) got.push(t.tradeId);
      }
      assert.deepEqual(got, ids(0, 300).filter((t) => t.symbol === s).map((t) => t.a), `${s}: the tape, in order, once`);
    }
  } finally {
    await access.close();
  }
  const v = await runCli(['verify', '--log', log, '--model', model]);
  assert.equal(v.json.identical, true, v.stderr);
});
