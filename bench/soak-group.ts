// The soak's `group-kills` part (bench/soak.ts, docs/reliability.md): `run processors` on a real Kafka
// broker of its own (kafka/broker.ts, as the Kafka tests start one) SIGKILLed at seeded random moments
// and restarted, while a feed (`start --broker --feed-only`) writes inputs. Two members share the
// partitions; each kill takes one of them (drawn from the seeded generator) at a moment uniform in
// [0.3 s, maxDelay] after the previous restart (during start-up, the group's join and its wait for the
// dead member's session to expire, a state rebuild, or processing rounds) and starts a new member
// in its place at once. After the last kill and the feed's end the group must catch up; then the
// outputs on `signals` and `bars` are compared, partition by partition, with an embedded replay of
// the same inputs (mirrored from the broker) with the same model: nothing missing, nothing extra, the
// same order; each id once under --exactly-once (a copy per id is counted for at-least-once); and
// `verify --broker` must say identical with the inputs complete (exactly-once: the topics hold each
// output once; at-least-once leaves copies on the topics, which verify reports as differences).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { INPUT_TOPICS } from '../hosts/merged-reader.ts';
import { sleep } from '../lib/sleep.ts';
import { Rng } from '../processors/math/rng.ts';
import { partitionFor } from '../storage/log/event-log.ts';
import { kafkaUnavailable, startKafkaCluster } from '../kafka/broker.ts';
import { barId, caughtUp, readTopic, replayOutputs, signalId } from '../test/integration/kafka/group-helpers.ts';
import type { Logger } from '../lib/log.ts';

export interface GroupKillOptions {
  dir: string;
  model: string;
  kills: number;
  seed: number;
  maxDelayMs: number;
  delivery: 'exactly-once' | 'at-least-once';
  historyDays: string;
  speed: number;
  say: (line: string) => void;
  logger?: Logger;
}

interface Proc {
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

const PARTITIONS = 4;
const GROUP = 'soak-processors';

/** The member's last state, from its log lines: where a kill landed. */
function memberPhase(stderr: string): string {
  const last = [...stderr.matchAll(/assignment: owns ([^"]*)/g)].pop()?.[1];
  // `processors: group …` is its first line; `assignment: owns …` is logged once the assigned partitions are rebuilt.
  if (last === undefined) return stderr.includes('processors: group') ? 'joining or rebuilding' : 'starting (no line yet)';
  if (last === 'no partition') return 'owning no partition';
  return 'owning partitions';
}

export async function soakGroupKills(o: GroupKillOptions): Promise<Record<string, unknown>> {
  const unavailable = kafkaUnavailable();
  if (unavailable) return { skipped: `needs a real Kafka broker: ${unavailable}` };
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  // The soak's own schema registry directory, for its children and for its own reads of the topics:
  // nothing shared with other Kafka runs on this machine (their registries may number schemas otherwise).
  process.env['TICKFLOW_SCHEMA_DIR'] = join(o.dir, 'schemas');
  mkdirSync(join(o.dir, 'stderr'), { recursive: true });
  let spawned = 0;
  const spawnCli = (args: string[]): Proc => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Each child's stderr is kept whole in <dir>/stderr/ for a look afterwards.
    const keep = createWriteStream(join(o.dir, 'stderr', `${String(++spawned).padStart(3, '0')}-${args.slice(0, 2).join('-')}.err`));
    proc.stderr?.pipe(keep);
    // 'close', not 'exit': the output is complete only once the pipes have closed.
    const p: Proc = { proc, stdout: '', stderr: '', exited: once(proc, 'close').then(([code]) => code as number | null) };
    proc.stdout?.on('data', (d: Buffer) => (p.stdout += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => {
      p.stderr += d.toString();
      if (p.stderr.length > 400_000) p.stderr = p.stderr.slice(-200_000);
    });
    return p;
  };
  const runCli = async (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const p = spawnCli(args);
    const code = await p.exited;
    return { code, stdout: p.stdout, stderr: p.stderr };
  };
  const t0 = performance.now();
  o.say(`group-kills: starting a Kafka broker in ${join(o.dir, 'kafka')}`);
  const cluster = await startKafkaCluster({ dir: join(o.dir, 'kafka'), nodes: 1, heap: '512m', ...(o.logger ? { logger: o.logger } : {}) });
  const brokers = cluster.brokers;
  const broker = brokers.join(',');
  const members: Proc[] = [];
  let feed: Proc | null = null;
  try {
    const created = await runCli(['topics', 'create', '--broker', broker, '--replication-factor', '1']);
    if (created.code !== 0) throw new Error(`topics create exited ${created.code}: ${created.stderr.slice(-1_000)}`);
    const memberArgs = ['run', 'processors', '--broker', broker, '--model', o.model, '--group', GROUP, '--session-timeout', '6s', '--quiet', ...(o.delivery === 'exactly-once' ? ['--exactly-once'] : [])];
    members.push(spawnCli(memberArgs), spawnCli(memberArgs));
    // Live long enough for the kills to land while the feed still writes (mean delay per kill).
    const liveMinutes = Math.max(10, Math.ceil((o.kills * (300 + o.maxDelayMs)) / 2 / 60_000 * o.speed));
    const feedArgs = ['start', '--broker', broker, '--feed-only', '--history-days', o.historyDays, '--speed', String(o.speed), '--stop-after', `${liveMinutes}m`, '--no-ws', '--seed', '3'];
    feed = spawnCli(feedArgs);
    const rng = new Rng(o.seed);
    const landed: Record<string, number> = {};
    const feedAt: Record<string, number> = {};
    const memberExits: string[] = [];
    let runs = members.length;
    for (let i = 0; i < o.kills; i++) {
      const delay = Math.round(300 + rng.next() * (o.maxDelayMs - 300));
      const victim = Math.floor(rng.next() * members.length);
      await sleep(delay); // the random moment itself, not a wait for a condition
      const m = members[victim]!;
      if (m.proc.exitCode !== null) memberExits.push(`member run ${i}: exited ${m.proc.exitCode} before its kill: ${m.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`);
      m.proc.kill('SIGKILL');
      await m.exited;
      const phase = memberPhase(m.stderr);
      landed[phase] = (landed[phase] ?? 0) + 1;
      const f = feed.proc.exitCode !== null ? 'feed ended' : /live at speed/.test(feed.stderr) ? 'feed live' : 'feed writing history';
      feedAt[f] = (feedAt[f] ?? 0) + 1;
      members[victim] = spawnCli(memberArgs);
      runs++;
      o.say(`group-kills: kill ${i + 1}/${o.kills} of member ${victim} after ${delay} ms (${phase}, ${f})`);
    }
    const feedExit = await feed.exited;
    o.say(`group-kills: feed exited ${feedExit}; waiting for the group to catch up`);
    await caughtUp(brokers, GROUP, 900_000);
    for (const m of members) m.proc.kill('SIGTERM');
    const finalExits = await Promise.all(members.map((m) => m.exited));
    const finals = members.map((m) => JSON.parse(m.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>);

    o.say('group-kills: comparing the outputs with an embedded replay of the same inputs');
    const signals = await readTopic(brokers, 'signals', signalId);
    const bars = await readTopic(brokers, 'bars', barId);
    const replayDir = join(o.dir, 'replay');
    const mirrored = await runCli(['mirror', '--from', 'kafka', '--to', replayDir, '--broker', broker, '--topics', INPUT_TOPICS.join(',')]);
    if (mirrored.code !== 0) throw new Error(`mirror exited ${mirrored.code}: ${mirrored.stderr.slice(-1_000)}`);
    const expected = await replayOutputs(replayDir, o.model);
    const firstOfEachId = <T>(list: T[], id: (v: T) => string): T[] => {
      const seen = new Set<string>();
      return list.filter((v) => !seen.has(id(v)) && seen.add(id(v)));
    };
    const differences: string[] = [];
    const compare = <T>(name: string, got: T[][], want: T[], key: (v: T) => string, id: (v: T) => string): void => {
      for (let p = 0; p < PARTITIONS; p++) {
        const w = want.filter((v) => partitionFor(key(v), PARTITIONS) === p);
        if (!isDeepStrictEqual(firstOfEachId(got[p] ?? [], id), w)) differences.push(`${name} partition ${p}: the outputs (first of each id) differ from the replay`);
        if (o.delivery === 'exactly-once' && !isDeepStrictEqual(got[p] ?? [], w)) differences.push(`${name} partition ${p}: the records on the topic differ from the replay`);
      }
    };
    compare('signals', signals.byPartition, expected.signals, (s) => s.symbol, signalId);
    compare('bars', bars.byPartition, expected.bars, (b) => b.symbol, barId);
    const verify = await runCli(['verify', '--broker', broker, '--model', o.model]);
    const v = JSON.parse(verify.stdout.trim().split('\n').pop() || '{}') as Record<string, unknown>;
    return {
      command: `start ${feedArgs.slice(1).join(' ')}; 2 x run processors ${memberArgs.slice(2).join(' ')}`,
      delivery: o.delivery,
      requested: o.kills,
      killed: o.kills,
      memberRuns: runs,
      killedWhile: landed,
      feedAtKill: feedAt,
      memberExitsBeforeKill: memberExits,
      feedExit,
      finalMemberExits: finalExits,
      finalMembers: finals.map((f) => ({ partitions: f['partitions'], inputs: f['inputs'], rebuilds: f['rebuilds'], commits: f['commits'], recommits: f['recommits'] })),
      replayed: { signals: expected.signals.length, bars: expected.bars.length },
      onTopics: { signals: signals.byPartition.reduce((n, l) => n + l.length, 0), bars: bars.byPartition.reduce((n, l) => n + l.length, 0) },
      duplicateIds: { signals: signals.duplicateIds.length, bars: bars.duplicateIds.length },
      identicalToReplay: differences.length === 0,
      differences,
      verifyExit: verify.code,
      verify: Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'inputs')),
      verifyInputs: v['inputs'] ?? null,
      verifyError: verify.code === 0 ? null : verify.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 400),
      minutes: +((performance.now() - t0) / 60_000).toFixed(1),
    };
  } finally {
    for (const m of members) m.proc.kill('SIGKILL');
    feed?.proc.kill('SIGKILL');
    await cluster.stop();
  }
}
