// node --import tsx bench/kafka-follow.ts [--follows 1,4,16] [--repeat 3] [--wait 500] [--brokers host:port] [--no-projector] [--json]   (npm run bench -- kafka-follow)
// How long stopping follows takes on a real Kafka broker (one of its own from kafka/broker.ts, or
// --brokers): (1) KafkaEventLog.close() with N idle follows (every partition followed has been
// read to its end and sat in long polls for 3 × the wait); (2) `tickflow run projector` from
// SIGTERM to its exit, idle and following every derived topic (needs a ClickHouse: the one
// test/helpers/clickhouse-server.ts finds or starts; skipped with the reason otherwise). Each
// figure is the median of --repeat runs, wall ms. The follows' long poll is --wait ms
// (followMaxWaitMs; run projector uses the default, 500).
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { sleep } from '../lib/sleep.ts';
import { KafkaEventLog } from '../storage/kafka/kafka-event-log.ts';
import { createCatalogueTopics } from '../storage/kafka/create-topics.ts';
import { partitionFor } from '../storage/log/event-log.ts';
import { startClickHouse } from '../test/helpers/clickhouse-server.ts';
import { realKafka, withAdmin } from '../test/helpers/kafka-broker.ts';
import { tempDir } from '../test/helpers/cli.ts';
import { benchSay } from './say.ts';

const { values } = parseArgs({ options: { follows: { type: 'string', default: '1,4,16' }, repeat: { type: 'string', default: '3' }, wait: { type: 'string', default: '500' }, brokers: { type: 'string' }, 'no-projector': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const say = benchSay('kafka-follow');
const repeat = Math.max(1, Number(values.repeat));
const waitMs = Number(values.wait);
const counts = values.follows.split(',').map(Number);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

if (values.brokers) process.env['TICKFLOW_REAL_KAFKA'] = values.brokers;
const kafka = await realKafka();
if ('skip' in kafka) throw new Error(kafka.skip);
const brokers = kafka.brokers;
const result: { closeMs: Record<string, number[]>; projectorStopMs: number[] | string; waitMs: number; brokers: string } = { closeMs: {}, projectorStopMs: [], waitMs, brokers: values.brokers ? 'given' : 'own' };

try {
  // (1) close() with n idle follows: n partitions, 4 per topic.
  for (const n of counts) {
    const runs: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const log = await KafkaEventLog.connect({ brokers, followMaxWaitMs: waitMs });
      const tag = `${process.pid}-${Date.now().toString(36)}`;
      const parts: { topic: string; partition: number }[] = [];
      for (let t = 0; parts.length < n; t++) {
        const topic = `bench-follow-${tag}-${t}`;
        const count = await log.partitions(topic); // auto-created with the broker's num.partitions (4)
        const keys = new Map<number, string>();
        for (let k = 0; keys.size < count; k++) if (!keys.has(partitionFor(`k${k}`, count))) keys.set(partitionFor(`k${k}`, count), `k${k}`);
        await log.append(topic, [...keys.values()].map((key) => ({ key, timestamp: 1, value: Uint8Array.of(1) })));
        for (let p = 0; p < count && parts.length < n; p++) parts.push({ topic, partition: p });
      }
      let got = 0;
      const loops = parts.map(async ({ topic, partition }) => {
        let first = true;
        for await (const batch of log.follow(topic, partition, 0, new AbortController().signal)) {
          void batch;
          if (first) got++;
          first = false;
        }
      });
      while (got < n) await sleep(20);
      await sleep(3 * waitMs); // idle: every follow in long polls
      const t0 = performance.now();
      await log.close();
      runs.push(Math.round(performance.now() - t0));
      await Promise.all(loops);
    }
    result.closeMs[String(n)] = runs;
    say(`close() with ${n} idle follows (wait ${waitMs} ms): ${runs.join(', ')} ms`);
  }

  // (2) run projector: SIGTERM to exit.
  if (values['no-projector']) result.projectorStopMs = 'skipped (--no-projector)';
  else {
    const ch = await startClickHouse();
    if ('skip' in ch) {
      result.projectorStopMs = `skipped: ${ch.skip}`;
    } else {
      const schemas = tempDir('tickflow-bench-follow-schemas-');
      try {
        await withAdmin(brokers, createCatalogueTopics);
        const runs: number[] = [];
        for (let r = 0; r < repeat; r++) {
          const database = `bench_follow_${process.pid}_${r}`;
          const proc = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', 'projector', '--broker', brokers.join(','), '--clickhouse', ch.url, '--database', database], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TICKFLOW_SCHEMA_DIR: schemas.dir } });
          let stderr = '';
          proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
          const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
          while (!/projector: following/.test(stderr)) {
            if (proc.exitCode !== null) throw new Error(`run projector exited early:\n${stderr}`);
            await sleep(50);
          }
          await sleep(3 * 500); // idle: its follows in long polls
          const t0 = performance.now();
          proc.kill('SIGTERM');
          const code = await exited;
          runs.push(Math.round(performance.now() - t0));
          if (code !== 0) throw new Error(`run projector exited with ${code}:\n${stderr}`);
        }
        result.projectorStopMs = runs;
        say(`run projector, SIGTERM to exit: ${runs.join(', ')} ms`);
      } finally {
        schemas.cleanup();
        await ch.stop();
      }
    }
  }
} finally {
  await kafka.stop();
}

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  for (const [n, runs] of Object.entries(result.closeMs)) process.stdout.write(`close() with ${n} idle follows: median ${median(runs)} ms (runs ${runs.join(', ')})\n`);
  const p = result.projectorStopMs;
  process.stdout.write(typeof p === 'string' ? `run projector stop: ${p}\n` : `run projector, SIGTERM to exit: median ${median(p)} ms (runs ${p.join(', ')})\n`);
}
