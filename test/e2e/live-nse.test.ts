import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli, spawnCli, tempDir } from '../helpers/cli.ts';
import { runCliBatch } from '../helpers/cli-batch.ts';
import { FakeNse, recordedNifty, restamped } from '../helpers/fake-nse.ts';
import { logRecords } from '../helpers/log-records.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { openLogFrom, topicSize } from '../../cli/log-access.ts';
import type { Bar, OptionChainSnapshot } from '../../schemas/index.ts';

/**
 * `start --source nse:NIFTY` end to end, against a local server speaking NSE's option-chain API
 * (cookies from the option-chain page, 403 without them; no network here) that replays payloads
 * recorded from the real NIFTY chain (test/fixtures/nse). The model is trained on option chains
 * only (the sparse multi-day chain fixture: chain-priced bars and chain features), and the live
 * snapshots continue that log the day after it ends, so the graph has history to compute features
 * from. The server also sends a 5xx, drops a connection, expires the cookies, and answers with
 * malformed JSON, an out-of-order timestamp and a duplicate snapshot; the log must hold exactly
 * the six distinct recorded snapshots, and `verify` must replay the log to what the live run wrote.
 *
 * The recorded payloads are from 18-Aug-2026; they are restamped to 20-Aug-2026 10:43 + i minutes
 * (after the history), and `--max-age 1000d` lets snapshots months old in wall-clock terms count
 * as fresh; `--calendar crypto` polls at any hour (the NSE session is unit-tested with a fake clock).
 */
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'chains');
// 20-Aug-2026 10:43:00 India time = 05:13:00 UTC.
const BASE = Date.UTC(2026, 7, 20, 5, 13, 0);
const MIN = 60_000;

test('start --source nse:NIFTY: handshake, faults dead-lettered, the log holds each distinct snapshot once, verify identical', async () => {
  const tmp = tempDir('tickflow-nse-');
  const fake = new FakeNse();
  await fake.start();
  after(async () => {
    await fake.stop();
    tmp.cleanup();
  });
  const log = join(tmp.dir, 'log');
  const model = join(tmp.dir, 'model');
  // The history and its model in ONE process (test/helpers/cli-batch.ts): ingest, dataset, train.
  const made = await runCliBatch([
    ['ingest', '--log', log, '--file', join(FIXTURES, 'sparse-chain.csv'), '--format', 'option-chain-long', '--snapshot-window', '1s'],
    ['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'd.csv'), '--feature-set', 'full'],
    ['train', '--dataset', join(tmp.dir, 'd.csv'), '--out', model, '--seed', '1', '--family', 'logistic'],
  ]);
  for (const r of made) assert.equal(r.code, 0, r.stderr);
  const ingest = made[0]!;

  const loggedSnapshots = async (): Promise<number> => {
    const access = await openLogFrom({ log }, { readOnly: true });
    try {
      return await topicSize(access.log, 'options');
    } finally {
      await access.close();
    }
  };
  const history = await loggedSnapshots();
  assert.equal(history, Number(ingest.json.accepted));

  const P = recordedNifty().slice(0, 6).map((p, i) => restamped(p, BASE + i * MIN));
  fake.push(
    'NIFTY',
    { json: P[0]! },
    { status: 503 },
    { drop: true },
    { json: P[1]! },
    { raw: '{"records":{"timestamp":"20-Aug-2026 10:45:00","data":[' }, // malformed (cut off)
    { json: P[0]! }, // out of order
    { json: restamped(P[1]!, BASE + MIN + 30_000) }, // same market, later stamp: duplicate
    { expire: true }, // 401: the feed redoes the cookie handshake
    { json: P[2]! },
    { json: P[3]! },
    { json: P[4]! },
    { json: P[5]! },
  );
  const child = spawnCli(['start', '--source', 'nse:NIFTY', '--log', log, '--model', model, '--allow-ungated', '--no-ws', '--venue-rest', fake.baseUrl, '--poll-seconds', '0.05', '--stale-polls', '3', '--max-age', '1000d', '--calendar', 'crypto']);
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let logged = history;
  // The queue is served, then the server repeats the last payload: the feed must report it stale.
  await waitFor(
    () => `the log to hold ${history} + 6 snapshots (it holds ${logged}) and a feed-stale event; feed events: ${logRecords(stderr).map((r) => r.event).filter(Boolean).join(', ')}`,
    async () => (logged = await loggedSnapshots()) >= history + 6 && logRecords(stderr).some((r) => r.event === 'feed-stale'),
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  child.kill('SIGINT');
  assert.equal(await exited, 0, stderr);
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { inputs: number; signals: number; liveSignals: number; feed: { appended: number; handshakes: number; errors: number; staleEvents: number; deadLetters: Record<string, number> } };
  assert.equal(summary.feed.appended, 6);
  assert.deepEqual(summary.feed.deadLetters, { malformed: 1, 'out-of-order': 1, stale: 0, duplicate: 1 });
  assert.equal(summary.feed.errors, 2, 'the 503 and the dropped connection');
  assert.equal(summary.feed.handshakes, 2, 'the first and the one after the cookies expired');
  assert.ok(summary.feed.staleEvents >= 1);
  assert.equal(summary.inputs, history + 6, 'the graph processed each logged snapshot once');
  process.stderr.write(`# nse e2e summary: ${JSON.stringify({ inputs: summary.inputs, signals: summary.signals, liveSignals: summary.liveSignals, feed: summary.feed })}\n`);
  assert.ok(summary.signals > 0, 'a model trained on chain features gives signals on chain-only input');

  const access = await openLogFrom({ log });
  try {
    const live: OptionChainSnapshot[] = [];
    const parts = await access.log.partitions('options');
    for (let p = 0; p < parts; p++) for await (const b of access.log.read('options', p, { fromOffset: 0 })) for (const r of b) {
      const s = access.decode('options', r.value) as OptionChainSnapshot;
      if (s.underlying === 'NIFTY' && s.tsEvent >= BASE) live.push(s);
    }
    assert.deepEqual(live.map((s) => s.tsEvent), P.map((_p, i) => BASE + i * MIN), 'each distinct recorded snapshot once, in order');
    assert.deepEqual(live.map((s) => s.spot), P.map((p) => p.records.underlyingValue));
    // The live snapshots close the 10:40-10:45 five-minute bar, priced by the chain's spot (the
    // snapshots of 10:43 and 10:44: open, high/low, close). Its features join the chain snapshots
    // *received* (tsInit) by the bar's end; here the recorded snapshots are received months after
    // their stamps, so the join finds none and the model's chain features hold no signal for it
    // (live, a snapshot arrives seconds after its stamp). Signals on chain-only input are the
    // history's (summary.signals, and verify below).
    const bars: Bar[] = [];
    const bp = await access.log.partitions('bars');
    for (let p = 0; p < bp; p++) for await (const b of access.log.read('bars', p, { fromOffset: 0 })) for (const r of b) {
      const bar = access.decode('bars', r.value) as Bar;
      if (bar.symbol === 'NIFTY' && bar.interval === '5m' && bar.end > BASE) bars.push(bar);
    }
    const spots = P.slice(0, 2).map((p) => p.records.underlyingValue);
    assert.deepEqual(bars.map((x) => [x.end, x.open, x.high, x.low, x.close]), [[BASE + 2 * MIN, spots[0], Math.max(...spots), Math.min(...spots), spots[1]]]);
  } finally {
    await access.close();
  }
  const v = await runCli(['verify', '--log', log, '--model', model, '--allow-ungated']);
  assert.equal(v.json.identical, true, `${JSON.stringify(v.json)}\n${v.stderr}`);
});
