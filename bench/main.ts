// npm run bench [-- --json] [-- --trades 5000000] [-- --repeat 3]   |   npm run bench -- kafka [--json]
// Replays a generated log of >= 5 million trades and reports trades/s for reading + decoding the
// log alone and for the whole pipeline to signals, their ratio, and peak RSS (each measured in a
// child process). The log and a model are built once and cached under var/bench/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchSay } from './say.ts';
import { newHandoffWaits, type HandoffWaits } from '../hosts/replay/input-handoff.ts';

// `npm run bench -- kafka [...]` is the Kafka produce/consume benchmark (bench/kafka.ts);
// `npm run bench -- kafka-group` the consumer-group catch-up rate (bench/kafka-group.ts).
// `npm run bench -- page` the dashboard's first render and server memory per page (bench/page.ts).
// `npm run bench -- train` the model families on generated markets (bench/train.ts).
// `npm run bench -- restart` the state rebuild on restart, with and without checkpoints (bench/restart.ts).
// `npm run bench -- kafka-clients` kafkajs against @platformatic/kafka on a real broker (bench/kafka-clients.ts).
// `npm run bench -- ingest-trades` the trade importer's rate and memory (bench/ingest-trades.ts).
// `npm run bench -- first-signal` `tickflow start`'s first run and restart to its first live signal (bench/first-signal.ts).
// `npm run bench -- fanout` live signal latency with 0 and 1,000 WebSocket clients (bench/fanout.ts).
// `npm run bench -- sequence-infer` the sequence family's inference per row, whole window against incremental (bench/sequence-infer.ts).
// `npm run bench -- kafka-takeover` the consumer group's partition takeover, from a checkpoint and from offset 0 (bench/kafka-takeover.ts).
// `npm run bench -- stack-rate --log L --model M` the replay pipeline's rate with a model against none (bench/stack-rate.ts).
// `npm run bench -- kafka-follow` stopping follows on a real broker: close() with N follows, `run projector` SIGTERM to exit (bench/kafka-follow.ts).
if (['kafka', 'kafka-group', 'page', 'train', 'restart', 'kafka-clients', 'ingest-trades', 'first-signal', 'fanout', 'sequence-infer', 'kafka-takeover', 'stack-rate', 'kafka-follow'].includes(process.argv[2] ?? '')) {
  execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', `bench/${process.argv[2]}.ts`, ...process.argv.slice(3)], { stdio: 'inherit' });
  process.exit(0);
}
const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, trades: { type: 'string', default: '5000000' }, seed: { type: 'string', default: '11' }, repeat: { type: 'string', default: '3' } } });
const repeat = Math.max(1, Number(values.repeat));
const wantTrades = Number(values.trades);
// ~182,000 trades per market day for the default two symbols (measured); round up.
const days = Math.ceil(wantTrades / 165_000);
const dir = join('var', 'bench', `d${days}-s${values.seed}`);
const logDir = join(dir, 'log');
const modelDir = join(dir, 'model');
const say = benchSay('measure');
const tickflow = (args: string[]): string => execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

mkdirSync(dir, { recursive: true });
if (!existsSync(join(logDir, 'data.mdb')) && !existsSync(join(dir, 'generated'))) {
  say(`bench: generating ${days} market days (cached in ${dir})`);
  tickflow(['generate', '--out', logDir, '--days', String(days), '--seed', values.seed]);
  execFileSync('touch', [join(dir, 'generated')]);
}
if (!existsSync(join(modelDir, 'manifest.json'))) {
  say('bench: training a model on the first replay of the log');
  tickflow(['replay', 'dataset', '--log', logDir, '--out', join(dir, 'train.csv')]);
  tickflow(['train', '--dataset', join(dir, 'train.csv'), '--out', modelDir, '--seed', '1', '--epochs', '5', '--family', 'mlp']);
}
type Measured = Record<string, unknown> & { tradesPerSec: number; tradesPerCpuSec: number; seconds: number; cpuSeconds: number; modelSeconds: number; peakRssMb: number; trades: number; signals: number; rssSamples: { progress: number; rssMb: number; heapMb: number }[] };
const measure = (mode: string, gc = false): Measured =>
  JSON.parse(execFileSync(process.execPath, [...(gc ? ['--expose-gc'] : []), '--import', 'tsx', 'bench/measure.ts', mode, logDir, modelDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;
// Per-stage breakdown: each stage is a longer prefix of the replay path, measured in its own
// child process; a stage's cost is its time minus the previous prefix's, in ns per trade.
// "model" is the time inside predict() during the pipeline run, "decision" the rest of the
// pipeline beyond features (infer's row building, the signal rule, signal ids).
// The stages run on one thread (pipeline-one-thread): with the reader on its own thread
// (`pipeline`, the replay's default) CPU time no longer adds up stage by stage.
const STAGES = ['read-raw', 'read', 'merge', 'bars', 'features', 'pipeline-one-thread', 'pipeline'] as const;
interface Run {
  read: Measured;
  pipe: Measured;
  /** The pipeline with the reader in the graph's thread. */
  one: Measured;
  full: Measured;
  stages: Record<string, number>;
}
const runs: Run[] = [];
for (let r = 0; r < repeat; r++) {
  say(`bench: run ${r + 1}/${repeat}: ${STAGES.join(', ')}, features-full`);
  const m: Record<string, Measured> = {};
  for (const s of STAGES) m[s] = measure(s);
  const full = measure('features-full');
  // CPU time (user + system of the child): on a shared, loaded machine wall time mostly measures
  // the wait for a core.
  const ns = (x: Measured): number => (x.cpuSeconds * 1e9) / x.trades;
  const p = m.pipeline as Measured;
  const one = m['pipeline-one-thread'] as Measured;
  const stages = {
    read: ns(m['read-raw'] as Measured),
    decode: ns(m.read as Measured) - ns(m['read-raw'] as Measured),
    merge: ns(m.merge as Measured) - ns(m.read as Measured),
    bars: ns(m.bars as Measured) - ns(m.merge as Measured),
    features: ns(m.features as Measured) - ns(m.bars as Measured),
    // predict() is timed by the wall clock inside the child (once per scored bar).
    model: (one.modelSeconds * 1e9) / one.trades,
    decision: ns(one) - ns(m.features as Measured) - (one.modelSeconds * 1e9) / one.trades,
  };
  runs.push({ read: m.read as Measured, pipe: p, one, full, stages });
  say(`bench: run ${r + 1}: read+decode ${round(m.read!.tradesPerSec)}/s (${round(m.read!.tradesPerCpuSec)}/CPU-s), pipeline ${round(p.tradesPerSec)}/s (${round(p.tradesPerCpuSec)}/CPU-s), ratio ${round(p.tradesPerSec / m.read!.tradesPerSec, 3)} (CPU ${round(p.tradesPerCpuSec / m.read!.tradesPerCpuSec, 3)}), one thread ${round(one.tradesPerSec)}/s (ratio ${round(one.tradesPerSec / m.read!.tradesPerSec, 3)}), full ${round(full.tradesPerSec)}/s`);
}
say('bench: memory run (pipeline again, live heap measured after a forced GC at every 10 %; not timed)');
const mem = measure('pipeline', true);
const samples = mem.rssSamples;
const first = samples[0]?.rssMb ?? 0;
const last = samples[samples.length - 1]?.rssMb ?? 0;
const pipe = runs[0]!.pipe;
const result = {
  trades: pipe.trades,
  runs: repeat,
  // Medians over the runs; each ratio is taken within one run (same machine load), then the median.
  readDecodePerSec: round(median(runs.map((r) => r.read.tradesPerSec))),
  pipelinePerSec: round(median(runs.map((r) => r.pipe.tradesPerSec))),
  ratio: round(median(runs.map((r) => r.pipe.tradesPerSec / r.read.tradesPerSec)), 3),
  // The pipeline with the reader in the graph's thread (readerThread 'off', D169), and its ratio.
  pipelineOneThreadPerSec: round(median(runs.map((r) => r.one.tradesPerSec))),
  ratioOneThread: round(median(runs.map((r) => r.one.tradesPerSec / r.read.tradesPerSec)), 3),
  peakRssMb: round(Math.max(...runs.flatMap((r) => [r.read.peakRssMb, r.pipe.peakRssMb, r.one.peakRssMb, r.full.peakRssMb]))),
  signals: Number(pipe.signals),
  fullFeaturesPerSec: round(median(runs.map((r) => r.full.tradesPerSec))),
  fullRatio: round(median(runs.map((r) => r.full.tradesPerSec / r.read.tradesPerSec)), 3),
  // The same from CPU time (trades per CPU-second of each child): steadier on a busy machine.
  readDecodePerCpuSec: round(median(runs.map((r) => r.read.tradesPerCpuSec))),
  pipelinePerCpuSec: round(median(runs.map((r) => r.pipe.tradesPerCpuSec))),
  ratioCpu: round(median(runs.map((r) => r.pipe.tradesPerCpuSec / r.read.tradesPerCpuSec)), 3),
  fullFeaturesPerCpuSec: round(median(runs.map((r) => r.full.tradesPerCpuSec))),
  fullRatioCpu: round(median(runs.map((r) => r.full.tradesPerCpuSec / r.read.tradesPerCpuSec)), 3),
  // ns per trade spent in each stage (median over the runs).
  stagesNsPerTrade: Object.fromEntries(Object.keys(runs[0]!.stages).map((k) => [k, round(median(runs.map((r) => r.stages[k] as number)))])),
  perRun: runs.map((r) => ({ readDecodePerSec: round(r.read.tradesPerSec), pipelinePerSec: round(r.pipe.tradesPerSec), ratio: round(r.pipe.tradesPerSec / r.read.tradesPerSec, 3), pipelineOneThreadPerSec: round(r.one.tradesPerSec), ratioOneThread: round(r.one.tradesPerSec / r.read.tradesPerSec, 3), ratioCpu: round(r.pipe.tradesPerCpuSec / r.read.tradesPerCpuSec, 3), fullFeaturesPerSec: round(r.full.tradesPerSec), fullRatio: round(r.full.tradesPerSec / r.read.tradesPerSec, 3), fullRatioCpu: round(r.full.tradesPerCpuSec / r.read.tradesPerCpuSec, 3) })),
  rssAt10PctMb: round(first),
  rssAt100PctMb: round(last),
  heapAt10PctMb: round(samples[0]?.heapMb ?? 0),
  heapAt100PctMb: round(samples[samples.length - 1]?.heapMb ?? 0),
  heapByTenthMb: samples.map((s) => round(s.heapMb)),
  // The reader thread's live heap every 500,000 inputs of the memory run (replay's reader thread, D169).
  readerHeapMb: (mem.readerHeapMb as number[] | undefined ?? []).map((x) => round(x)),
  // The timed pipeline runs' waits on each side of the hand-off (median ms and count): time the
  // two threads did not overlap (D172).
  handoffWaits: Object.fromEntries((['graph', 'reader'] as const).map((side) => [side, { ms: round(median(runs.map((r) => waitsOf(r.pipe)[side].ms))), count: round(median(runs.map((r) => waitsOf(r.pipe)[side].count))) }])),
  // Milliseconds from the replay's start until the reader thread was ready (the graph's thread
  // reads alone until then), median of the timed pipeline runs, and how it loaded its modules (D175).
  readerReadyMs: round(median(runs.map((r) => waitsOf(r.pipe).readyMs ?? 0))),
  readerBoot: [...new Set(runs.map((r) => waitsOf(r.pipe).boot ?? 'unknown'))].join(','),
  logMb: round(dirSize(logDir) / 2 ** 20),
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  process.stdout.write(
    [
      `trades replayed         ${result.trades} (medians of ${repeat} runs)`,
      `read + decode           ${result.readDecodePerSec.toLocaleString('en-US')} trades/s`,
      `whole pipeline          ${result.pipelinePerSec.toLocaleString('en-US')} trades/s (${result.signals} signals)`,
      `pipeline / read ratio   ${result.ratio} (per run: ${result.perRun.map((r) => r.ratio).join(', ')}); reader on its own thread`,
      `one thread              ${result.pipelineOneThreadPerSec.toLocaleString('en-US')} trades/s, ratio ${result.ratioOneThread} (per run: ${result.perRun.map((r) => r.ratioOneThread).join(', ')})`,
      `by CPU time             read + decode ${result.readDecodePerCpuSec.toLocaleString('en-US')}, pipeline ${result.pipelinePerCpuSec.toLocaleString('en-US')} trades per CPU-s, ratio ${result.ratioCpu} (per run: ${result.perRun.map((r) => r.ratioCpu).join(', ')})`,
      `full feature set        ${result.fullFeaturesPerSec.toLocaleString('en-US')} trades/s to feature vectors, ratio ${result.fullRatio}; by CPU time ${result.fullFeaturesPerCpuSec.toLocaleString('en-US')}, ratio ${result.fullRatioCpu}`,
      `CPU ns per trade        ${Object.entries(result.stagesNsPerTrade).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `peak RSS                ${result.peakRssMb} MB`,
      `pipeline RSS by progress ${samples.map((s) => `${Math.round(s.progress * 100)}%:${Math.round(s.rssMb)}`).join(' ')} MB`,
      `live JS heap+external    ${samples.map((s) => `${Math.round(s.progress * 100)}%:${Math.round(s.heapMb)}`).join(' ')} MB`,
      `reader thread's heap     ${result.readerHeapMb.join(' ')} MB (every 500,000 inputs)`,
      `hand-off waits          graph thread ${result.handoffWaits.graph?.ms} ms (${result.handoffWaits.graph?.count} waits), reader thread ${result.handoffWaits.reader?.ms} ms (${result.handoffWaits.reader?.count})`,
      `reader thread ready     ${result.readerReadyMs} ms after the replay's start (modules loaded: ${result.readerBoot})`,
      `log size on disk        ${result.logMb} MB (memory-mapped: RSS counts the log pages read, which the OS can drop)`,
      '',
    ].join('\n'),
  );
}

function waitsOf(m: Measured): HandoffWaits {
  return (m.handoffWaits as HandoffWaits | undefined) ?? newHandoffWaits();
}

function dirSize(d: string): number {
  return readdirSync(d).reduce((n, f) => n + statSync(join(d, f)).size, 0);
}
