/**
 * A cross-v1 model (ETH's features read BTC's bars) served by `tickflow run processors` on a real
 * Kafka broker (an empty one: kafka-broker.ts), two members: each unit also reads the
 * reference's partition and emits only its own symbols' outputs, commits only its own offsets
 * (the reference position rides in the commit metadata, decisions D61). The signals and bars on
 * Kafka equal an embedded replay of the same log with the same model, partition by partition.
 * Then the member holding ETH's partition leaves: the other rebuilds it from the committed
 * offsets + metadata and, the log being at its end, emits nothing more — a rebuild that stopped
 * short on the reference partition would release and emit again bars already emitted.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { runCli, spawnCli, tempDir } from '../../helpers/cli.ts';
import { realKafka } from '../../helpers/kafka-broker.ts';
import { kafkaUnavailable } from '../../../kafka/broker.ts';
import { barId, caughtUp, readTopic, replayOutputs, signalId, until, watch, type Watched } from './group-helpers.ts';

const unavailable = kafkaUnavailable();
const skip = unavailable ? `needs a real Kafka broker: ${unavailable}` : false;
const PARTITIONS = 4;
const GROUP = 'g-cross';
/** The served market: ETH's partition still gets more than 10 signals (it was 0.3 days). */
const DAYS = '0.15';

describe('a cross-v1 model in the Kafka consumer group', { skip, timeout: 900_000 }, () => {
  const tmp = tempDir('tickflow-group-cross-');
  const log = join(tmp.dir, 'log');
  const model = join(tmp.dir, 'model');
  after(() => tmp.cleanup());

  before(async () => {
    // The model is trained on 0.4 days of another market (seed 6: the smallest history whose
    // dataset leaves train a validation split; it was a day); the group serves DAYS of seed 5.
    // All in one process (test/helpers/cli-batch.ts): a process start is about 0.6 CPU s.
    const trainLog = join(tmp.dir, 'train-log');
    const steps = [
      ['generate', '--out', trainLog, '--symbols', 'BTC,ETH', '--days', '0.4', '--seed', '6', '--signal-strength', '2'],
      ['generate', '--out', log, '--symbols', 'BTC,ETH', '--days', DAYS, '--seed', '5', '--signal-strength', '2'],
      ['replay', 'dataset', '--log', trainLog, '--out', join(tmp.dir, 'cross.csv'), '--feature-set', 'cross:BTC'],
      ['train', '--dataset', join(tmp.dir, 'cross.csv'), '--out', model, '--seed', '3', '--family', 'logistic', '--cv-folds', '0'],
    ];
    const results = await runCliBatch(steps);
    steps.forEach((args, i) => assert.equal(results[i]!.code, 0, `tickflow ${args.join(' ')}\n${results[i]!.stderr}`));
  });

  test('run processors on 2 members gives the embedded replay\'s signals and bars; a takeover of ETH\'s partition at the end emits nothing again', async (t) => {
    // The premise: the reference and the other symbol live in different partitions.
    const refPartition = partitionFor('BTC', PARTITIONS);
    const ethPartition = partitionFor('ETH', PARTITIONS);
    assert.notEqual(refPartition, ethPartition);
    const started = await realKafka({ own: true });
    if ('skip' in started) return assert.fail(started.skip);
    const kafka = started;
    const broker = kafka.brokers.join(',');
    const members: Watched[] = [];
    try {
      const c = await runCli(['topics', 'create', '--broker', broker]);
      assert.equal(c.code, 0, c.stderr);
      const member = (): Watched => watch(spawnCli(['run', 'processors', '--broker', broker, '--model', model, '--group', GROUP, '--session-timeout', '6s', '--quiet', '--allow-ungated']));
      members.push(member(), member());
      await until(() => members.every((m) => /assigned/.test(m.stderr)), 120_000, () => `both members assigned\n${members.map((m) => m.stderr).join('\n')}`);
      const m = await runCli(['mirror', '--from', log, '--to', 'kafka', '--broker', broker]);
      assert.equal(m.code, 0, m.stderr);
      // One catch-up round per partition (the whole history up to the closed progress mark), so the first commit comes at the end.
      await caughtUp(kafka.brokers, GROUP, 420_000).catch((e: Error) => assert.fail(`${e.message}\n${members.map((x, i) => `--- member ${i}\n${x.stderr.slice(-3_000)}`).join('\n')}`));

      const expected = await replayOutputs(log, model);
      const ethSignals = expected.signals.filter((s) => s.symbol === 'ETH').length;
      assert.ok(ethSignals >= 10, `replay ETH signals ${ethSignals}`);
      const compare = async (): Promise<number> => {
        const signals = await readTopic(kafka.brokers, 'signals', signalId);
        const bars = await readTopic(kafka.brokers, 'bars', barId);
        for (let p = 0; p < PARTITIONS; p++) {
          assert.deepEqual(signals.byPartition[p] ?? [], expected.signals.filter((s) => partitionFor(s.symbol, PARTITIONS) === p), `signals partition ${p}`);
          assert.deepEqual(bars.byPartition[p] ?? [], expected.bars.filter((b) => partitionFor(b.symbol, PARTITIONS) === p), `bars partition ${p}`);
        }
        return signals.duplicateIds.length + bars.duplicateIds.length;
      };
      // Every output once (no failure happened, so at-least-once repeated nothing).
      assert.equal(await compare(), 0);

      // The member that owns ETH's partition leaves; the other takes it over at the committed cut.
      const owner = members.findIndex((x) => held(x.stderr).has(ethPartition));
      assert.ok(owner >= 0, members.map((x) => x.stderr).join('\n'));
      const [leaving, staying] = [members[owner]!, members[1 - owner]!];
      leaving.proc.kill('SIGTERM');
      assert.equal(await leaving.exited, 0, leaving.stderr);
      await until(() => held(staying.stderr).has(ethPartition), 120_000, () => `takeover of partition ${ethPartition}\n${staying.stderr}`);
      const rebuilt = new RegExp(`partition ${ethPartition}: assigned; state rebuilt from (the checkpoint at input \\d+ and the )?(\\d+) inputs`).exec(staying.stderr.slice(staying.stderr.lastIndexOf(`partition ${ethPartition}: assigned`)));
      assert.ok(rebuilt !== null && Number(rebuilt[2]) + Number(/checkpoint at input (\d+)/.exec(rebuilt[0])?.[1] ?? 0) > 0, staying.stderr);
      staying.proc.kill('SIGTERM');
      assert.equal(await staying.exited, 0, staying.stderr);
      // Still exactly the replay's outputs, each once: the rebuilt unit stood where the leaver stopped on both partitions.
      assert.equal(await compare(), 0);
      t.diagnostic(`${expected.signals.length} signals (${ethSignals} ETH) and ${expected.bars.length} bars equal the replay; takeover: ${rebuilt[0]}`);
    } finally {
      for (const x of members) x.proc.kill('SIGKILL');
      await kafka.stop();
    }
  });
});

/** The partitions a member owns now, from its `partition N: assigned` / `handed over` lines. */
function held(stderr: string): Set<number> {
  const out = new Set<number>();
  for (const m of stderr.matchAll(/partition (\d+): (assigned|handed over)/g)) {
    if (m[2] === 'assigned') out.add(Number(m[1]));
    else out.delete(Number(m[1]));
  }
  return out;
}
