// node --import tsx bench/kafka-group.ts [--days 0.6] [--members 1,2,3] [--json]   (npm run bench -- kafka-group)
// Catch-up rate of `tickflow run processors` on a real Kafka broker of its own (kafka/broker.ts;
// the catalogue topics are created empty by `topics create`): a generated history is mirrored to
// Kafka, then 1, 2 and 3 members (new groups) process it from offset 0; the time
// runs from the first partition assignment to the group's committed offsets reaching the end.
// Beside it, the embedded replay of the same log with the same model (`replay backtest`), whose
// rate is the ceiling. Members are real CLI processes; each run includes tfjs-free model loading.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { groupLag } from './group-lag.ts';
import { realKafka } from '../test/helpers/kafka-broker.ts';
import { tempDir } from '../test/helpers/cli.ts';
import { benchSay } from './say.ts';

const { values } = parseArgs({ options: { days: { type: 'string', default: '0.6' }, members: { type: 'string', default: '1,2,3' }, json: { type: 'boolean', default: false } } });
const memberCounts = values.members.split(',').map(Number);
if (memberCounts.some((m) => !Number.isSafeInteger(m) || m < 1)) throw new Error('--members must list positive integers, e.g. 1,2,3');
const say = benchSay('kafka-group');
const cli = (args: string[]): string => execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TICKFLOW_SCHEMA_DIR: join(tmp.dir, 'schemas') } }).toString();

const kafka = await realKafka({ own: true });
if ('skip' in kafka) {
  say(kafka.skip);
  process.exit(2);
}
const tmp = tempDir('tickflow-bench-group-');
const broker = kafka.brokers.join(',');
try {
  const log = join(tmp.dir, 'log');
  const model = join(tmp.dir, 'model');
  say(`generating ${values.days} days, training a small model, mirroring to the broker`);
  const events = (JSON.parse(cli(['generate', '--out', log, '--days', values.days, '--seed', '9']).trim().split('\n').pop()!) as { events: number }).events;
  cli(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'd.csv')]);
  cli(['train', '--dataset', join(tmp.dir, 'd.csv'), '--out', model, '--epochs', '1', '--seed', '1']);
  cli(['topics', 'create', '--broker', broker]);
  cli(['mirror', '--from', log, '--to', 'kafka', '--broker', broker]);
  const t0 = performance.now();
  // Throughput only: the one-epoch model of a 0.6-day market fails its gates, which is beside the point here.
  cli(['replay', 'backtest', '--log', log, '--model', model, '--allow-ungated', '--out', join(tmp.dir, 'bt')]);
  const embeddedS = (performance.now() - t0) / 1000;
  const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const result: Record<string, number> = { inputs: events, embeddedReplayBacktestPerSecond: Math.round(events / embeddedS) };
  for (const members of memberCounts) {
    const group = `bench-${members}`;
    const procs = Array.from({ length: members }, () => spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', 'processors', '--broker', broker, '--model', model, '--group', group, '--allow-ungated', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TICKFLOW_SCHEMA_DIR: join(tmp.dir, 'schemas') } }));
    let err = '';
    for (const p of procs) p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let assignedAt = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      if (assignedAt === 0 && /assigned/.test(err)) assignedAt = performance.now();
      if (assignedAt === 0) continue;
      if ((await groupLag(admin, group)) === 0) break;
    }
    const s = (performance.now() - assignedAt) / 1000;
    result[`members${members}PerSecond`] = Math.round(events / s);
    say(`${members} member(s): ${events} inputs in ${s.toFixed(2)} s from assignment to committed`);
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => p.once('exit', r))));
  }
  await admin.disconnect();
  if (result['members1PerSecond'] !== undefined) result['members1ToEmbedded'] = +(result['members1PerSecond'] / result['embeddedReplayBacktestPerSecond']!).toFixed(2);
  if (values.json) console.log(JSON.stringify(result));
  else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(34)} ${v}`);
} finally {
  tmp.cleanup();
  await kafka.stop();
}
