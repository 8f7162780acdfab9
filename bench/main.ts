// npm run bench [-- --json] [-- --trades 5000000]   |   npm run bench -- kafka [--json]
// Replays a generated log of >= 5 million trades and reports trades/s for reading + decoding the
// log alone and for the whole pipeline to signals, their ratio, and peak RSS (each measured in a
// child process). The log and a model are built once and cached under var/bench/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// `npm run bench -- kafka [...]` is the Kafka produce/consume benchmark (bench/kafka.ts);
// `npm run bench -- kafka-group` the consumer-group catch-up rate (bench/kafka-group.ts).
// `npm run bench -- page` the dashboard's first render and server memory per page (bench/page.ts).
if (process.argv[2] === 'kafka' || process.argv[2] === 'kafka-group' || process.argv[2] === 'page') {
  execFileSync(process.execPath, ['--import', 'tsx', `bench/${process.argv[2]}.ts`, ...process.argv.slice(3)], { stdio: 'inherit' });
  process.exit(0);
}
const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, trades: { type: 'string', default: '5000000' }, seed: { type: 'string', default: '11' } } });
const wantTrades = Number(values.trades);
// ~182,000 trades per market day for the default two symbols (measured); round up.
const days = Math.ceil(wantTrades / 165_000);
const dir = join('var', 'bench', `d${days}-s${values.seed}`);
const logDir = join(dir, 'log');
const modelDir = join(dir, 'model');
const say = (m: string): void => {
  process.stderr.write(`${m}\n`);
};
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
  tickflow(['train', '--dataset', join(dir, 'train.csv'), '--out', modelDir, '--seed', '1', '--epochs', '5']);
}
const measure = (mode: string, gc = false): Record<string, unknown> & { tradesPerSec: number; peakRssMb: number; trades: number; rssSamples: { progress: number; rssMb: number; heapMb: number }[] } =>
  JSON.parse(execFileSync(process.execPath, [...(gc ? ['--expose-gc'] : []), '--import', 'tsx', 'bench/measure.ts', mode, logDir, modelDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
say('bench: read + decode');
const read = measure('read');
say('bench: whole pipeline to signals');
const pipe = measure('pipeline');
say('bench: full feature set (67 features on 1m/5m/15m/1h bars) to feature vectors');
const full = measure('features-full');
say('bench: memory run (pipeline again, live heap measured after a forced GC at every 10 %; not timed)');
const mem = measure('pipeline', true);
const samples = mem.rssSamples;
const first = samples[0]?.rssMb ?? 0;
const last = samples[samples.length - 1]?.rssMb ?? 0;
const result = {
  trades: pipe.trades,
  readDecodePerSec: Math.round(read.tradesPerSec),
  pipelinePerSec: Math.round(pipe.tradesPerSec),
  ratio: Math.round((pipe.tradesPerSec / read.tradesPerSec) * 1000) / 1000,
  peakRssMb: Math.round(Math.max(read.peakRssMb, pipe.peakRssMb, full.peakRssMb)),
  signals: Number(pipe.signals),
  fullFeaturesPerSec: Math.round(full.tradesPerSec),
  rssAt10PctMb: Math.round(first),
  rssAt100PctMb: Math.round(last),
  heapAt10PctMb: Math.round(samples[0]?.heapMb ?? 0),
  heapAt100PctMb: Math.round(samples[samples.length - 1]?.heapMb ?? 0),
  logMb: Math.round(dirSize(logDir) / 2 ** 20),
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  process.stdout.write(
    [
      `trades replayed         ${result.trades}`,
      `read + decode           ${result.readDecodePerSec.toLocaleString('en-US')} trades/s`,
      `whole pipeline          ${result.pipelinePerSec.toLocaleString('en-US')} trades/s (${result.signals} signals)`,
      `pipeline / read ratio   ${result.ratio}`,
      `full feature set        ${result.fullFeaturesPerSec.toLocaleString('en-US')} trades/s to feature vectors (core set + model above)`,
      `peak RSS                ${result.peakRssMb} MB (read ${Math.round(read.peakRssMb)}, pipeline ${Math.round(pipe.peakRssMb)})`,
      `pipeline RSS by progress ${samples.map((s) => `${Math.round(s.progress * 100)}%:${Math.round(s.rssMb)}`).join(' ')} MB`,
      `live JS heap+external    ${samples.map((s) => `${Math.round(s.progress * 100)}%:${Math.round(s.heapMb)}`).join(' ')} MB`,
      `log size on disk        ${result.logMb} MB (memory-mapped: RSS counts the log pages read, which the OS can drop)`,
      '',
    ].join('\n'),
  );
}

function dirSize(d: string): number {
  return readdirSync(d).reduce((n, f) => n + statSync(join(d, f)).size, 0);
}
