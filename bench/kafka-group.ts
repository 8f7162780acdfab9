// node --import tsx bench/kafka-group.ts [--days 0.6] [--members 1,2,3] [--json] [--profile DIR]   (npm run bench -- kafka-group)
// Catch-up rate of `tickflow run processors` on a real Kafka broker of its own (kafka/broker.ts;
// the catalogue topics are created empty by `topics create`): a generated history is mirrored to
// Kafka, then 1, 2 and 3 members (new groups) process it from offset 0; the time
// runs from the first partition assignment to the group's committed offsets reaching the end.
// Beside it, the embedded replay of the same log with the same model (`replay backtest`), whose
// rate is the ceiling. Members are real CLI processes; each run includes tfjs-free model loading.
// Per member count it also reports the members' CPU seconds over the timed span (from /proc, so
// a loaded machine's share is visible beside the wall time), the load average, and the members'
// own phase times (`phasesMs` of `run processors`: read, write, commit), and the same graph over the
// embedded log in this process (no start-up in the span: `embeddedGraph*`). --profile DIR runs the
// members under `node --cpu-prof` with their profiles in DIR.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { groupLag } from './group-lag.ts';
import { realKafka } from '../test/helpers/kafka-broker.ts';
import { tempDir } from '../test/helpers/cli.ts';
import { benchSay } from './say.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { loadPredictor } from '../model/predictor.ts';
import { featureSetByHash, graphConfigFor } from '../processors/graph.ts';
import { openEmbeddedLog } from '../storage/log/open-log.ts';

const { values } = parseArgs({ options: { days: { type: 'string', default: '0.6' }, members: { type: 'string', default: '1,2,3' }, json: { type: 'boolean', default: false }, profile: { type: 'string' } } });
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
  // The same graph over the embedded log in this process, with no process start or model load in
  // the span and outputs only counted: what a member's read + compute is measured against.
  const graph = await embeddedGraph(log, model);
  const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const result: Record<string, number> = { inputs: events, embeddedReplayBacktestPerSecond: Math.round(events / embeddedS), embeddedGraphPerSecond: Math.round(events / graph.wallS), embeddedGraphCpuSeconds: +graph.cpuS.toFixed(2) };
  const profile = values.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values.profile];
  for (const members of memberCounts) {
    const group = `bench-${members}`;
    const procs = Array.from({ length: members }, () => spawn(process.execPath, [...profile, '--import', 'tsx', 'cli/main.ts', 'run', 'processors', '--broker', broker, '--model', model, '--group', group, '--allow-ungated', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TICKFLOW_SCHEMA_DIR: join(tmp.dir, 'schemas') } }));
    let err = '';
    const outs = procs.map(() => '');
    procs.forEach((p, i) => p.stdout.on('data', (d: Buffer) => (outs[i] += d.toString())));
    for (const p of procs) p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let assignedAt = 0;
    let cpuAtAssignment = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      if (assignedAt === 0 && /assigned/.test(err)) {
        assignedAt = performance.now();
        cpuAtAssignment = cpuSeconds(procs.map((p) => p.pid!));
      }
      if (assignedAt === 0) continue;
      if ((await groupLag(admin, group)) === 0) break;
    }
    const s = (performance.now() - assignedAt) / 1000;
    const cpu = cpuSeconds(procs.map((p) => p.pid!)) - cpuAtAssignment;
    result[`members${members}PerSecond`] = Math.round(events / s);
    result[`members${members}CpuSeconds`] = +cpu.toFixed(2);
    result[`members${members}Load1`] = +(loadavg()[0] as number).toFixed(2);
    say(`${members} member(s): ${events} inputs in ${s.toFixed(2)} s from assignment to committed; members' CPU ${cpu.toFixed(2)} s; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => p.once('exit', r))));
    for (const o of outs) {
      const last = o.trim().split('\n').pop();
      if (last?.startsWith('{')) say(`  member phases (ms): ${JSON.stringify((JSON.parse(last) as { phasesMs?: unknown }).phasesMs)}`);
    }
  }
  await admin.disconnect();
  if (result['members1PerSecond'] !== undefined) {
    result['members1ToEmbedded'] = +(result['members1PerSecond'] / result['embeddedReplayBacktestPerSecond']!).toFixed(2);
    result['members1ToEmbeddedGraph'] = +(result['members1PerSecond'] / result['embeddedGraphPerSecond']!).toFixed(2);
  }
  if (values.json) console.log(JSON.stringify(result));
  else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(34)} ${v}`);
} finally {
  tmp.cleanup();
  await kafka.stop();
}

/** User + system CPU seconds of these processes so far (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s on Linux). */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited already
    }
  }
  return ticks / 100;
}

/** Wall and CPU seconds of one replay of the embedded log through the graph with the model (replayLog; outputs counted, not kept). */
async function embeddedGraph(logDir: string, modelDir: string): Promise<{ wallS: number; cpuS: number }> {
  const el = await openEmbeddedLog(logDir);
  try {
    const predictor = await loadPredictor(modelDir);
    let outputs = 0;
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    await replayLog({ log: el.log, decode: (topic, b) => el.serde.decodeAs(topic, b), predictor, config: graphConfigFor(featureSetByHash(predictor.featureSetHash)), sinks: [{ onEvent: () => void outputs++ }] });
    const wallS = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    say(`embedded graph in-process: ${wallS.toFixed(2)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, ${outputs} outputs`);
    return { wallS, cpuS: (cpu.user + cpu.system) / 1e6 };
  } finally {
    await el.close();
  }
}
