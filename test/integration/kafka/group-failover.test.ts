/**
 * Processing on Kafka as a consumer group (`tickflow run processors`), end to end on librdkafka's
 * mock cluster (the real protocol): a feed (`start --broker --feed-only`) appends inputs and
 * progress markers while two members share the partitions; one member is SIGKILLed mid-stream, or
 * the broker freezes mid-stream; in the end the outputs, deduplicated by their deterministic ids,
 * equal an embedded replay of the same inputs with the same model, partition by partition.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { loadPredictor } from '../../../model/predictor.ts';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import { featureSetByHash, graphConfigFor } from '../../../processors/graph.ts';
import { INPUT_TOPICS } from '../../../replay/merged-reader.ts';
import { replayLog } from '../../../replay/run-replay.ts';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { openKafkaLog } from '../../../streams/kafka/open-kafka-log.ts';
import { partitionFor } from '../../../streams/log/event-log.ts';
import { openEmbeddedLog } from '../../../streams/log/open-log.ts';
import { runCli, spawnCli, tempDir } from '../../helpers/cli.ts';
import { KCAT_MISSING, kcatInstalled, startKafkaMock, type KafkaMock } from '../../helpers/kafka-mock.ts';

const skip = process.env['TICKFLOW_KAFKA_BROKERS'] ? 'needs a mock cluster of its own (unset TICKFLOW_KAFKA_BROKERS)' : kcatInstalled() ? false : KCAT_MISSING;
const PARTITIONS = 4;
const SEED = '5';

describe('processors as a Kafka consumer group', { skip, timeout: 600_000 }, () => {
  const tmp = tempDir('tickflow-group-');
  const model = join(tmp.dir, 'model');
  after(() => tmp.cleanup());

  before(async () => {
    // A model for the feed's market (same seed): trained on its first hours.
    const log = join(tmp.dir, 'train-log');
    const g = await runCli(['generate', '--out', log, '--days', '0.4', '--seed', SEED]);
    assert.equal(g.code, 0, g.stderr);
    const d = await runCli(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'train.csv')]);
    assert.equal(d.code, 0, d.stderr);
    const t = await runCli(['train', '--dataset', join(tmp.dir, 'train.csv'), '--out', model, '--seed', '1', '--epochs', '2']);
    assert.equal(t.code, 0, t.stderr);
  });

  test('one member is killed mid-stream: the other rebuilds its partitions and the outputs equal a replay', async (t) => {
    const r = await scenario(t, 'kill', async ({ members }) => {
      members[0]!.proc.kill('SIGKILL');
    });
    // The survivor took over partitions the killed member had committed progress on.
    assert.match(r.survivorLog, /partition \d: assigned; state rebuilt from [1-9]\d* inputs/);
  });

  test('the broker freezes mid-stream (SIGSTOP for 8 s): feed and members wait it out, nothing lost or wrong', async (t) => {
    await scenario(t, 'freeze', async ({ mock }) => {
      process.kill(mock.pid!, 'SIGSTOP');
      await sleep(8_000);
      process.kill(mock.pid!, 'SIGCONT');
    });
  });

  interface Member {
    proc: ChildProcess;
    stderr: string;
    stdout: string;
    exited: Promise<number | null>;
  }

  async function scenario(t: TestContext, name: string, disrupt: (ctx: { members: Member[]; mock: KafkaMock }) => Promise<void>): Promise<{ survivorLog: string }> {
    const started = await startKafkaMock();
    if ('skip' in started) return assert.fail(started.skip);
    const mock = started;
    const broker = mock.brokers.join(',');
    const members: Member[] = [];
    try {
      const member = (): Member => watch(spawnCli(['run', 'processors', '--broker', broker, '--model', model, '--group', `g-${name}`, '--session-timeout', '6s', '--quiet']));
      members.push(member(), member());
      const feed = watch(spawnCli(['start', '--broker', broker, '--feed-only', '--history-days', '0.25', '--speed', '900', '--stop-after', '3h', '--no-ws', '--seed', SEED]));
      await Promise.all(members.map((m) => until(() => /assigned/.test(m.stderr), 60_000, `member assigned\n${m.stderr}`)));
      await until(() => /live at speed/.test(feed.stderr), 120_000, `feed live\n${feed.stderr}`);
      await sleep(3_000);
      await disrupt({ members, mock });
      assert.equal(await feed.exited, 0, feed.stderr);
      await caughtUp(mock.brokers, `g-${name}`);
      const survivor = members[1]!;
      survivor.proc.kill('SIGTERM');
      if (name !== 'kill') members[0]!.proc.kill('SIGTERM');
      assert.equal(await survivor.exited, 0, survivor.stderr);
      const result = JSON.parse(survivor.stdout.trim().split('\n').pop() ?? '{}') as { inputs: number; commits: number };
      assert.ok(result.inputs > 0 && result.commits > 0, survivor.stdout);

      const out = await readOutputs(mock.brokers);
      const expected = await replayOf(mock.brokers, join(tmp.dir, `replay-${name}`));
      assert.ok(expected.signals.length > 20, `replay signals ${expected.signals.length}`);
      for (let p = 0; p < PARTITIONS; p++) {
        const want = expected.signals.filter((s) => partitionFor(s.symbol, PARTITIONS) === p);
        // Plain data on both sides (each serde decodes into its own avsc record classes).
        const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
        assert.deepEqual(plain(out.signals.get(p) ?? []), plain(want), `signals partition ${p}`);
        const wantBars = expected.bars.filter((b) => partitionFor(b.symbol, PARTITIONS) === p);
        assert.deepEqual(plain(out.bars.get(p) ?? []), plain(wantBars), `bars partition ${p}`);
      }
      t.diagnostic(`${name}: ${expected.signals.length} signals and ${expected.bars.length} bars equal the replay; ${out.duplicates} duplicate records dropped by id`);
      return { survivorLog: survivor.stderr };
    } finally {
      for (const m of members) m.proc.kill('SIGKILL');
      await mock.stop();
    }
  }
});

function watch(proc: ChildProcess): { proc: ChildProcess; stderr: string; stdout: string; exited: Promise<number | null> } {
  const m = { proc, stderr: '', stdout: '', exited: new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code))) };
  proc.stderr?.on('data', (d: Buffer) => (m.stderr += d.toString()));
  proc.stdout?.on('data', (d: Buffer) => (m.stdout += d.toString()));
  return m;
}

/** Waits until the group's committed offsets reach the end of every input partition. */
async function caughtUp(brokers: string[], groupId: string): Promise<void> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    let lag = -1;
    await until(async () => {
      lag = 0;
      const committed = await admin.fetchOffsets({ groupId, topics: [...INPUT_TOPICS] });
      for (const topic of INPUT_TOPICS) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const e of ends) {
          const c = Number(committed.find((x) => x.topic === topic)?.partitions.find((x) => x.partition === e.partition)?.offset ?? -1);
          lag += Number(e.high) - Math.max(c, 0);
        }
      }
      return lag === 0;
    }, 120_000, () => `group ${groupId} caught up (lag ${lag})`);
  } finally {
    await admin.disconnect();
  }
}

/** Signals and bars on Kafka per partition, the first record of each id kept (duplicates dropped). */
async function readOutputs(brokers: string[]): Promise<{ signals: Map<number, Signal[]>; bars: Map<number, Bar[]>; duplicates: number }> {
  const k = await openKafkaLog({ brokers });
  try {
    let duplicates = 0;
    const read = async <T>(topic: string, id: (v: T) => string): Promise<Map<number, T[]>> => {
      const out = new Map<number, T[]>();
      for (let p = 0; p < (await k.log.partitions(topic)); p++) {
        const seen = new Set<string>();
        const list: T[] = [];
        for await (const batch of k.log.read(topic, p)) {
          for (const r of batch) {
            const v = k.serde.decodeAs<T>(topic, r.value);
            if (seen.has(id(v))) duplicates++;
            else {
              seen.add(id(v));
              list.push(v);
            }
          }
        }
        out.set(p, list);
      }
      return out;
    };
    const signals = await read<Signal>('signals', (s) => s.id);
    const bars = await read<Bar>('bars', (b) => `${b.symbol}|${b.interval}|${b.end}`);
    return { signals, bars, duplicates };
  } finally {
    await k.close();
  }
}

/** The same inputs copied from Kafka into an embedded log and replayed there with the same model. */
async function replayOf(brokers: string[], dir: string): Promise<{ signals: Signal[]; bars: Bar[] }> {
  const m = await runCli(['mirror', '--from', 'kafka', '--to', dir, '--broker', brokers.join(','), '--topics', INPUT_TOPICS.join(',')]);
  assert.equal(m.code, 0, m.stderr);
  const el = await openEmbeddedLog(dir);
  try {
    const predictor = await loadPredictor(join(dir, '..', 'model'));
    const events: GraphEvent[] = [];
    await replayLog({ log: el.log, decode: (t, b) => el.serde.decodeAs(t, b), predictor, config: graphConfigFor(featureSetByHash(predictor.featureSetHash)), sinks: [{ onEvent: (e) => void events.push(e) }] });
    // Through the serde, as the members' outputs went: the same shape as what readOutputs decodes.
    const wire = <T>(topic: string, v: object): T => el.serde.decodeAs<T>(topic, el.serde.encode(topic, v));
    return {
      signals: events.flatMap((e) => (e.kind === 'signal' ? [wire<Signal>('signals', e.signal)] : [])),
      bars: events.flatMap((e) => (e.kind === 'bar' ? [wire<Bar>('bars', e.bar)] : [])),
    };
  } finally {
    await el.close();
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(200);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
