// node --import tsx bench/kafka-takeover.ts [--days 0.5,1] [--speed 60] [--session-timeout 30s] [--json]   (npm run bench -- kafka-takeover)
// Partition takeover time in the consumer group (`tickflow run processors`) on a real Kafka broker,
// with checkpoints (the default: the compacted `checkpoints` topic, D42) and without
// (--no-checkpoints: the new owner replays the partition from offset 0), at each history length.
// Per history length and mode, on a broker of its own (kafka/broker.ts; catalogue topics from
// `topics create`): two members of a new group, and a live feed (`start --broker --feed-only
// --history-days D --speed S`) that writes D days of history and then goes on live. Once the
// group has caught up with the live feed (lag under 2,000 inputs) and, with checkpoints, a
// checkpoint was written after that, then half the live checkpoint interval later (7.5 market
// minutes: the tail after the checkpoint is a typical one of live processing, which checkpoints
// every 15 market minutes), the member holding a partition with inputs is SIGKILLed. Measured from the
// kill: `detectS` until the group has one member again (session timeout + rebalance; DescribeGroups
// polled every 50 ms), `rebuiltS` until the survivor has logged `assigned; state rebuilt` for every
// moved partition (the time in that log line), `firstSignalS` until the first signal after the
// kill on a moved partition with inputs (the `signals` topic's end offsets polled every 50 ms;
// signals are keyed by symbol as the inputs are, so partition p of `signals` is p's).
// Members and feed are real CLI processes with the same model.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { INPUT_TOPICS } from '../hosts/merged-reader.ts';
import { sleep } from '../lib/sleep.ts';
import { TOPICS } from '../schemas/index.ts';
import { realKafka } from '../test/helpers/kafka-broker.ts';
import { tempDir } from '../test/helpers/cli.ts';
import { benchSay } from './say.ts';

const { values } = parseArgs({ options: { days: { type: 'string', default: '0.5,1' }, speed: { type: 'string', default: '60' }, 'session-timeout': { type: 'string', default: '30s' }, json: { type: 'boolean', default: false } } });
const daysList = values.days.split(',').map(Number);
if (daysList.some((d) => !(d >= 0.5))) throw new Error('--days must list history lengths of at least 0.5 days, e.g. 0.5,1');
const say = benchSay('kafka-takeover');
const tmp = tempDir('tickflow-bench-takeover-');
const env = { ...process.env, TICKFLOW_SCHEMA_DIR: join(tmp.dir, 'schemas') };
const cli = (args: string[]): string => execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'ignore'], env }).toString();

interface Member {
  proc: ChildProcess;
  stderr: string;
  exited: Promise<unknown>;
}
interface Row {
  days: number;
  inputs: number;
  mode: 'checkpoint' | 'offset 0';
  moved: number[];
  replayed: number;
  fromCheckpoint: number;
  detectS: number;
  rebuiltS: number;
  firstSignalS: number;
}

/** Waits for `check`, polling every `everyMs`; throws with `what` after `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 900_000, everyMs = 200): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await sleep(everyMs);
  }
}

/** The structured log lines of a member's stderr (JSON lines: stderr is a pipe). */
function records(stderr: string): { event?: string; partition?: number; time: string; replayed?: number; fromCheckpoint?: number; inputs?: number; msg: string }[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return [];
    }
  });
}

/** Partitions a member holds now (assigned and not handed over since). */
function held(stderr: string): Set<number> {
  const s = new Set<number>();
  for (const r of records(stderr)) {
    if (r.event === 'assigned') s.add(r.partition!);
    if (r.event === 'handed-over') s.delete(r.partition!);
  }
  return s;
}

/** Per input partition number, committed offsets summed over the input topics, and the total lag. */
async function committed(admin: Admin, group: string): Promise<{ perPartition: Map<number, number>; lag: number }> {
  const perPartition = new Map<number, number>();
  let lag = 0;
  const offsets = await admin.fetchOffsets({ groupId: group, topics: [...INPUT_TOPICS] });
  for (const topic of INPUT_TOPICS) {
    for (const e of await admin.fetchTopicOffsets(topic)) {
      const c = Math.max(0, Number(offsets.find((x) => x.topic === topic)?.partitions.find((x) => x.partition === e.partition)?.offset ?? -1));
      perPartition.set(e.partition, (perPartition.get(e.partition) ?? 0) + c);
      lag += Number(e.high) - c;
    }
  }
  return { perPartition, lag };
}

/** End offsets of a topic's partitions. */
async function ends(admin: Admin, topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, Number(e.high)]));
}

const rows: Row[] = [];
try {
  const model = join('var', 'bench', 'takeover-model');
  if (!existsSync(join(model, 'manifest.json'))) {
    say('training a small model on half a day of the feed\'s market (cached in var/bench/takeover-model)');
    cli(['generate', '--out', join(tmp.dir, 'train-log'), '--days', '0.5', '--seed', '9']);
    cli(['replay', 'dataset', '--log', join(tmp.dir, 'train-log'), '--out', join(tmp.dir, 'd.csv')]);
    cli(['train', '--dataset', join(tmp.dir, 'd.csv'), '--out', model, '--epochs', '1', '--seed', '1']);
  }
  for (const days of daysList) {
    for (const mode of ['checkpoint', 'offset 0'] as const) {
      const kafka = await realKafka({ own: true });
      if ('skip' in kafka) {
        say(kafka.skip);
        process.exit(2);
      }
      const broker = kafka.brokers.join(',');
      const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
      const procs: Member[] = [];
      try {
        cli(['topics', 'create', '--broker', broker]);
        await admin.connect();
        const group = 'takeover';
        const spawnWatched = (args: string[]): Member => {
          const proc = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
          const m: Member = { proc, stderr: '', exited: new Promise((r) => proc.once('exit', r)) };
          proc.stderr?.on('data', (d: Buffer) => (m.stderr += d.toString()));
          procs.push(m);
          return m;
        };
        const member = (): Member => spawnWatched(['run', 'processors', '--broker', broker, '--model', model, '--group', group, '--allow-ungated', '--quiet', '--session-timeout', values['session-timeout'], ...(mode === 'offset 0' ? ['--no-checkpoints'] : [])]);
        const members = [member(), member()];
        say(`${days} days, ${mode}: the feed writes its history and goes live at speed ${values.speed}; two members catch up`);
        const feed = spawnWatched(['start', '--broker', broker, '--feed-only', '--seed', '9', '--history-days', String(days), '--speed', values.speed, '--stop-after', '30d', '--no-ws']);
        let lag = -1;
        await until(async () => {
          if (feed.proc.exitCode !== null) throw new Error(`the feed exited\n${feed.stderr.slice(-2000)}`);
          if (!/live at speed/.test(feed.stderr) || members.some((m) => held(m.stderr).size === 0)) return false;
          lag = (await committed(admin, group)).lag;
          return lag < 2_000;
        }, () => `${days} days, ${mode}: both members holding partitions and caught up with the live feed (lag ${lag})\n${members.map((m) => m.stderr.slice(-2000)).join('\n---\n')}`);
        if (mode === 'checkpoint') {
          // A checkpoint written while following the live feed, so the restored state lags the
          // committed offsets by what live processing leaves (up to 15 market minutes).
          const written = (): Promise<number> => ends(admin, TOPICS.checkpoints.name).then((e) => [...e.values()].reduce((a, b) => a + b, 0));
          const before = await written();
          await until(async () => (await written()) > before, () => 'a checkpoint written while live');
        }
        // Then half the live checkpoint interval (7.5 of 15 market minutes) on, in both modes: the
        // kill does not coincide with a checkpoint, and the checkpoint's tail is a typical one.
        await sleep((7.5 * 60_000) / Number(values.speed));
        const { perPartition } = await committed(admin, group);
        const victim = members.findIndex((m) => [...held(m.stderr)].some((p) => (perPartition.get(p) ?? 0) > 0));
        if (victim < 0) throw new Error(`${group}: no member holds a partition with inputs`);
        const dead = members[victim]!;
        const survivor = members[1 - victim]!;
        const moved = [...held(dead.stderr)].sort((a, b) => a - b);
        const withInputs = moved.filter((p) => (perPartition.get(p) ?? 0) > 0);
        const from = survivor.stderr.length;
        const signalsAtKill = await ends(admin, TOPICS.signals.name);
        const t0 = Date.now();
        dead.proc.kill('SIGKILL');
        let t1 = 0;
        let t3 = 0;
        let took: ReturnType<typeof records> = [];
        await until(async () => {
          if (t1 === 0) {
            const d = (await admin.describeGroups([group])).groups[0];
            if (d !== undefined && d.state === 'Stable' && d.members.length === 1) t1 = Date.now();
          }
          if (t3 === 0) {
            const now = await ends(admin, TOPICS.signals.name);
            if (withInputs.some((p) => (now.get(p) ?? 0) > (signalsAtKill.get(p) ?? 0))) t3 = Date.now();
          }
          took = records(survivor.stderr.slice(from)).filter((r) => r.event === 'assigned' && moved.includes(r.partition!));
          return t1 > 0 && t3 > 0 && new Set(took.map((r) => r.partition)).size === moved.length;
        }, () => `${days} days, ${mode}: the survivor taking partitions ${moved.join(', ')} and signalling\n${survivor.stderr.slice(from).slice(-3000)}`, 900_000, 50);
        const t2 = Math.max(...took.map((r) => Date.parse(r.time)));
        let inputs = 0;
        for (const topic of INPUT_TOPICS) for (const [p, n] of await ends(admin, topic)) if (moved.includes(p)) inputs += n;
        const row: Row = {
          days, inputs, mode, moved,
          replayed: took.reduce((n, r) => n + (r.replayed ?? 0), 0),
          fromCheckpoint: took.reduce((n, r) => n + (r.fromCheckpoint ?? 0), 0),
          detectS: +((t1 - t0) / 1000).toFixed(2),
          rebuiltS: +((t2 - t0) / 1000).toFixed(2),
          firstSignalS: +((t3 - t0) / 1000).toFixed(2),
        };
        rows.push(row);
        say(`${days} days, ${mode}: partitions ${moved.join(', ')}: group settled ${row.detectS} s, rebuilt ${row.rebuiltS} s (${row.fromCheckpoint} inputs restored, ${row.replayed} replayed), first signal ${row.firstSignalS} s after the kill`);
      } finally {
        for (const m of procs) m.proc.kill('SIGKILL');
        await Promise.all(procs.map((m) => m.exited));
        await admin.disconnect().catch(() => undefined);
        await kafka.stop();
      }
    }
  }
} finally {
  tmp.cleanup();
}
if (values.json) console.log(JSON.stringify(rows));
else {
  console.log('days  moved-inputs mode        moved  restored   replayed   settled s  rebuilt s  first signal s');
  for (const r of rows) console.log(`${String(r.days).padEnd(5)} ${String(r.inputs).padEnd(12)} ${r.mode.padEnd(11)} ${r.moved.join(',').padEnd(6)} ${String(r.fromCheckpoint).padEnd(10)} ${String(r.replayed).padEnd(10)} ${String(r.detectS).padEnd(10)} ${String(r.rebuiltS).padEnd(10)} ${r.firstSignalS}`);
}
