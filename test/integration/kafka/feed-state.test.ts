/**
 * `start --broker` restarts without regenerating the synthetic market, on a real Kafka broker of
 * this test's own (kafka/broker.ts; the catalogue's topic names, so a broker of its own). The
 * first run writes the history and saves the market's state on the compacted `checkpoints` topic
 * (decisions.md D88); the restart restores it (its log says so, at the count the history wrote)
 * and regenerates only the events between it and the log's recorded position; `verify` on Kafka is
 * identical and finds every input of the feed exactly once. Then a state of other generator code
 * is put on the topic as the newest: the next restart refuses it, regenerates the market from its
 * first event, and `verify` is still identical.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LogFeedStateStore } from '../../../hosts/live/feed-state-log.ts';
import { generatorCodeVersion } from '../../../sources/synthetic/generator-version.ts';
import { openKafkaLog } from '../../../storage/kafka/open-kafka-log.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';
import { realKafka, type RealKafka } from '../../helpers/kafka-broker.ts';
import { logRecords, type LogRecord } from '../../helpers/log-records.ts';

const kafka = await realKafka({ own: true });
const skip = 'skip' in kafka ? kafka.skip : false;
const SEED = '6';

describe('start --broker: the market state on Kafka', { skip, timeout: 900_000 }, () => {
  const tmp = tempDir('tickflow-feed-state-kafka-');
  const model = join(tmp.dir, 'model');
  let broker = '';
  /** Events the first run's history wrote (where it saved the state). */
  let history = 0;
  after(async () => {
    if (!('skip' in kafka)) await kafka.stop();
    tmp.cleanup();
  });
  before(async () => {
    broker = (kafka as RealKafka).brokers.join(',');
    // A small model of the feed's market (same seed), trained on its first hours (0.4 days: the
    // smallest history whose dataset leaves train a validation split), and the catalogue's topics,
    // in one process (test/helpers/cli-batch.ts: a process start is about 0.6 CPU s). Logistic
    // without cross-validation: the restarts and verify do not depend on the family (auto, as
    // trainFeedModel trains, fitted four).
    const trainLog = join(tmp.dir, 'train-log');
    const csv = join(tmp.dir, 'train.csv');
    const steps = [
      ['generate', '--out', trainLog, '--days', '0.4', '--seed', SEED],
      ['replay', 'dataset', '--log', trainLog, '--out', csv],
      ['train', '--dataset', csv, '--out', model, '--seed', '1', '--epochs', '2', '--family', 'logistic', '--cv-folds', '0'],
      ['topics', 'create', '--broker', broker],
    ];
    const results = await runCliBatch(steps);
    steps.forEach((args, i) => assert.equal(results[i]!.code, 0, `tickflow ${args.join(' ')}\n${results[i]!.stderr}`));
  });

  const start = async (stopAfter: string): Promise<LogRecord[]> => {
    // 2.4 market hours of history (about 6,000 events) and one live hour at 3,600 market seconds
    // a second (1 s) per run: what the state's save, restore and refusal need; every run's inputs
    // are processed and `verify` replays them all, so a longer market only cost CPU (it was 0.25
    // days at speed 1,800, then 3, 2 and 1 live hours).
    const r = await runCli(['start', '--broker', broker, '--model', model, '--allow-ungated', '--seed', SEED, '--history-days', '0.1', '--speed', '3600', '--stop-after', stopAfter, '--no-ws']);
    assert.equal(r.code, 0, r.stderr);
    return logRecords(r.stderr);
  };
  const one = (records: LogRecord[], event: string): LogRecord => {
    const found = records.filter((r) => r.event === event);
    assert.equal(found.length, 1, `one ${event}:\n${records.map((r) => r.msg).join('\n')}`);
    return found[0]!;
  };
  const verify = async (): Promise<void> => {
    const v = await runCli(['verify', '--broker', broker, '--model', model, '--allow-ungated']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.identical, true);
    assert.ok((v.json.signals as number) > 0, v.stdout);
    assert.equal(v.json.inputsComplete, true, v.stdout);
    assert.deepEqual((v.json.inputs as { source: string; checked: boolean; holes: number; duplicates: number }[]).map((s) => [s.source, s.checked, s.holes, s.duplicates]), [['synthetic', true, 0, 0]]);
  };

  test('a restart restores the saved state instead of regenerating the market; verify is identical', async () => {
    const first = await start('1h');
    history = one(first, 'history').events as number;
    assert.ok(history > 5_000, `history ${history}`);
    assert.equal(first.filter((r) => r.event === 'feed-restore').length, 0, 'a new log: nothing to restore');

    const second = await start('1h');
    // Restored where the first run saved it (its history's end), not regenerated from event 0.
    assert.equal(one(second, 'feed-restore').at, history);
    assert.equal(second.filter((r) => r.event === 'feed-restore-refused').length, 0);
    const resumedAt = one(second, 'feed-resume').position as number;
    const regenerated = second.filter((r) => r.event === 'feed-regenerate').map((r) => r.events as number);
    // Only the live events after the saved state up to the log's last recorded round are regenerated.
    assert.ok(regenerated.length <= 1 && (regenerated[0] ?? 0) <= resumedAt - history, `regenerated ${regenerated.join()} of ${resumedAt}`);
    await verify();
  });

  test('a state of other generator code is refused: the market is regenerated from its start; verify is identical', async () => {
    const k = await openKafkaLog({ brokers: (kafka as RealKafka).brokers });
    try {
      const store = new LogFeedStateStore({ log: k.log, encode: (t, v) => k.serde.encode(t, v), decode: (t, b) => k.serde.decodeAs(t, b), source: 'synthetic' });
      const saved = await store.load();
      assert.ok(saved !== null && saved.state.includes(generatorCodeVersion()), 'the restart saved its levelled state on the topic');
      // The same state as an older generator would have saved it: only its code version differs.
      await store.save({ ...saved, state: saved.state.replaceAll(generatorCodeVersion(), 'gen-0000000000000000') });
    } finally {
      await k.close();
    }
    const third = await start('1h');
    assert.equal(third.filter((r) => r.event === 'feed-restore').length, 0);
    assert.match(one(third, 'feed-restore-refused').msg, /other generator code/);
    const regenerated = one(third, 'feed-regenerate').events as number;
    const resumedAt = one(third, 'feed-resume').position as number;
    // From the first event: at least the whole history again.
    assert.ok(regenerated >= history && regenerated <= resumedAt, `regenerated ${regenerated} of ${resumedAt}, history ${history}`);
    await verify();
  });
});
