// npm run bench -- ingest-trades [--trades 2000000] [--json] [--keep] [--stage parse|encode|full] [--parquet]
// Writes a Binance trades CSV of --trades rows (seeded; cached under var/bench/ingest-trades/),
// then imports it into a fresh embedded log with `ingestFile` (what `tickflow ingest --format
// binance-trades` runs) and reports trades/s, peak RSS and the JS heap after GC at every 10 % of
// the file (memory flat = the heap does not grow with the rows read). --stage parse replaces the
// log's append and the Avro encoding by no-ops, --stage encode only the append (cost split).
// --parquet: the same trades as a Parquet file (timestamp, price, size, side, id; hyparquet-writer's
// default row groups) imported as `--format trades` (decoded in a worker thread, D133). CPU time is
// the whole process's, worker threads included.
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openLog } from '../cli/log-access.ts';
import { Rng } from '../processors/math/rng.ts';
import { csvLineBatches } from '../sources/ingest/csv-lines.ts';
import { ingestFile } from '../sources/ingest/index.ts';
import { benchSay } from './say.ts';

const { values } = parseArgs({ options: { trades: { type: 'string', default: '2000000' }, json: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false }, stage: { type: 'string', default: 'full' }, parquet: { type: 'boolean', default: false } } });
const n = Number(values.trades);
const dir = join('var', 'bench', 'ingest-trades');
const csv = join(dir, `BENCHUSDT-trades-${n}.csv`);
const file = values.parquet ? join(dir, `BENCHUSDT-trades-${n}.parquet`) : csv;
const say = benchSay('ingest-trades');
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench -- ingest-trades does)');

mkdirSync(dir, { recursive: true });
if (!existsSync(csv)) {
  say(`bench: writing ${n} trades to ${csv}`);
  const out = createWriteStream(csv);
  const rng = new Rng(7);
  let price = 60_000;
  let ts = Date.UTC(2026, 0, 1);
  let chunk: string[] = [];
  for (let i = 0; i < n; i++) {
    price = Math.max(1, Math.round(price * (1 + 0.0002 * (rng.next() - 0.5)) * 100) / 100);
    ts += Math.floor(rng.next() * 40);
    const qty = (0.0001 + rng.next()).toFixed(5);
    chunk.push(`${1_000_000_000 + i},${price.toFixed(2)},${qty},${(price * Number(qty)).toFixed(8)},${ts},${rng.next() < 0.5 ? 'true' : 'false'},true`);
    if (chunk.length === 10_000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = [];
    }
  }
  out.end(chunk.length > 0 ? `${chunk.join('\n')}\n` : '');
  await new Promise<void>((r) => out.once('finish', () => r()));
}

if (values.parquet && !existsSync(file)) {
  say(`bench: writing ${n} trades to ${file}`);
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const ts: bigint[] = [], price: number[] = [], size: number[] = [], side: string[] = [], id: bigint[] = [];
  for await (const batch of csvLineBatches(csv)) {
    for (const l of batch) {
      const [i, p, q, , t, buyerMaker] = l.cells;
      id.push(BigInt(i!));
      price.push(Number(p));
      size.push(Number(q));
      ts.push(BigInt(t!));
      side.push(buyerMaker === 'true' ? 'sell' : 'buy');
    }
  }
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'timestamp', type: 'INT64', data: ts as never },
      { name: 'price', type: 'DOUBLE', data: price as never },
      { name: 'size', type: 'DOUBLE', data: size as never },
      { name: 'side', type: 'STRING', data: side as never },
      { name: 'id', type: 'INT64', data: id as never },
    ],
  });
  writeFileSync(file, new Uint8Array(buf));
}

const logDir = join(dir, 'log');
rmSync(logDir, { recursive: true, force: true });
const access = await openLog(logDir);
if (values.stage === 'parse' || values.stage === 'encode') access.log.append = () => Promise.resolve([]);
if (values.stage === 'parse') access.encode = () => new Uint8Array(0);
const samples: { progress: number; heapMb: number; rssMb: number }[] = [];
let nextSample = 0.1;
let peakRss = 0;
let gcCpuMicros = 0;
const mb = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
gc();
const heap0 = process.memoryUsage().heapUsed;
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const summary = await ingestFile(access, { file, format: values.parquet ? 'trades' : 'binance-trades', symbol: 'BENCHUSDT' }, (done, total) => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
  if (done / total >= nextSample) {
    // The forced GC is the bench's own: its CPU time is taken out of the import's.
    const g0 = process.cpuUsage();
    gc();
    const g = process.cpuUsage(g0);
    gcCpuMicros += g.user + g.system;
    samples.push({ progress: Math.round((done / total) * 100), heapMb: mb(process.memoryUsage().heapUsed), rssMb: mb(rss) });
    nextSample += 0.1;
  }
});
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
await access.close();
const result = {
  stage: values.stage, format: values.parquet ? 'parquet' : 'csv', trades: n, accepted: summary.accepted, rejected: summary.rejected, fileMb: mb(statSync(file).size),
  seconds: Math.round(seconds * 100) / 100, tradesPerSec: Math.round(summary.accepted / seconds),
  cpuSeconds: Math.round(((cpu.user + cpu.system - gcCpuMicros) / 1e6) * 100) / 100,
  benchGcCpuSeconds: Math.round((gcCpuMicros / 1e6) * 100) / 100,
  heapBeforeMb: mb(heap0), peakRssMb: mb(peakRss), samples,
};
if (!values.keep) rmSync(logDir, { recursive: true, force: true });
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  say(`ingest-trades: ${result.accepted} of ${n} trades in ${result.seconds} s = ${result.tradesPerSec} trades/s (cpu ${result.cpuSeconds} s = ${Math.round(n / result.cpuSeconds)} trades per cpu-second), peak RSS ${result.peakRssMb} MB`);
  say(`heap after GC by progress: ${samples.map((s) => `${s.progress}% ${s.heapMb} MB`).join(', ')}`);
}
