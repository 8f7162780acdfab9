// The live part of `npm run bench -- kafka` (bench/kafka.ts): bar-close → signal latency through
// a real Kafka broker. Real processes on the broker: a feed (`start --broker --feed-only`, the
// synthetic market at --speed) appends trades, options and progress markers live; one member
// (`run processors`) processes them and appends its signals (acks=all). The figure is the
// member's own `barCloseLatencyMs` (hosts/group/group-processor.ts): per signal of a live-sized
// round, wall ms from the input that closed the bar being handed to the graph (right after its
// fetch from Kafka and decode) to the acknowledgement of the signal record's append. Beside it,
// `signalLatencyMs` per round (from reading the progress bound, i.e. before the fetch).
import { execFileSync, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { groupLag } from './group-lag.ts';

export interface LiveLatency {
  /** Market hours of live feed, at `speed` × wall time. */
  liveHours: number;
  speed: number;
  signals: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** Per round with signals, from reading the progress bound to the append ack. */
  rounds: number;
  roundP50: number | null;
  roundP99: number | null;
  /** os.loadavg() (1, 5, 15 min) when the live part started and ended. */
  loadStart: number[];
  loadEnd: number[];
}

interface Result {
  barCloseLatencyMs: { signals: number; p50: number | null; p99: number | null; max: number | null };
  signalLatencyMs: { rounds: number; p50: number | null; p99: number | null };
}

export async function liveLatency(opts: { brokers: string[]; dir: string; liveHours: number; speed: number; say: (m: string) => void }): Promise<LiveLatency> {
  const broker = opts.brokers.join(',');
  const env = { ...process.env, TICKFLOW_SCHEMA_DIR: join(opts.dir, 'cli-schemas') };
  const cli = (args: string[]): string => execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env }).toString();
  const log = join(opts.dir, 'live-train-log');
  const model = join(opts.dir, 'live-model');
  // A model for the feed's market (same seed), trained on its first hours, as group-failover.test.ts does.
  opts.say('live: generating and training a small model for the feed\'s market');
  cli(['generate', '--out', log, '--days', '0.4', '--seed', '5']);
  cli(['replay', 'dataset', '--log', log, '--out', join(opts.dir, 'live-train.csv')]);
  cli(['train', '--dataset', join(opts.dir, 'live-train.csv'), '--out', model, '--seed', '1', '--epochs', '2']);
  cli(['topics', 'create', '--broker', broker, '--replication-factor', '1']);

  const loadStart = loadavg().map((x) => +x.toFixed(2));
  // Latency only: the small model fails its gates, which is beside the point here.
  const member = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', 'processors', '--broker', broker, '--model', model, '--group', 'bench-live', '--quiet', '--allow-ungated'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  member.stdout.on('data', (d: Buffer) => (out += d.toString()));
  member.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const memberExit = new Promise<number | null>((resolve) => member.once('exit', resolve));
  try {
    await until(() => /assigned/.test(err), 120_000, () => `the member's assignment\n${err.slice(-2_000)}`);
    opts.say(`live: feed at --speed ${opts.speed} for ${opts.liveHours} market hours after 0.02 days of history`);
    const feed = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start', '--broker', broker, '--feed-only', '--history-days', '0.02', '--speed', String(opts.speed), '--stop-after', `${opts.liveHours}h`, '--no-ws', '--seed', '5'], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let feedErr = '';
    feed.stderr.on('data', (d: Buffer) => (feedErr += d.toString()));
    const code = await new Promise<number | null>((resolve) => feed.once('exit', resolve));
    if (code !== 0) throw new Error(`the feed exited ${code}\n${feedErr.slice(-2_000)}`);
    const admin = new Kafka({ brokers: opts.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      let behind = -1;
      await until(async () => (behind = await groupLag(admin, 'bench-live')) === 0, 300_000, () => `the member to catch up (lag ${behind})\n${err.slice(-2_000)}`);
    } finally {
      await admin.disconnect();
    }
  } finally {
    member.kill('SIGTERM');
  }
  if ((await memberExit) !== 0) throw new Error(`the member exited with an error\n${err.slice(-2_000)}`);
  const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Result;
  return {
    liveHours: opts.liveHours,
    speed: opts.speed,
    signals: r.barCloseLatencyMs.signals,
    p50: r.barCloseLatencyMs.p50,
    p99: r.barCloseLatencyMs.p99,
    max: r.barCloseLatencyMs.max,
    rounds: r.signalLatencyMs.rounds,
    roundP50: r.signalLatencyMs.p50,
    roundP99: r.signalLatencyMs.p99,
    loadStart,
    loadEnd: loadavg().map((x) => +x.toFixed(2)),
  };
}

/** Polls a condition every 200 ms; fails with `what` after timeoutMs. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
