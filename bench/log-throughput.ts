/**
 * Throughput of the embedded log and the serde: encode, append (durable, per batch size), read,
 * decode. Run: node --import tsx bench/log-throughput.ts [records=500000]
 * Values are Serde-encoded Trades (about 45 bytes) over 8 symbols; each figure is the median of
 * 3 runs in records/s. A benchmark measures; it asserts nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Trade } from '../schemas/trade.ts';
import type { AppendRecord, LogRecord } from '../storage/log/event-log.ts';
import { openEmbeddedLog } from '../storage/log/open-log.ts';

const N = Number(process.argv[2] ?? 500_000);
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META', 'TSLA', 'SPY'];
const RUNS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US').padStart(12);

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tickflow-bench-'));
  const results: [string, number][] = [];
  try {
    const { log, serde, close } = await openEmbeddedLog(join(root, 'log'));
    const trades: Trade[] = Array.from({ length: N }, (_, i) => ({
      tsEvent: 1_700_000_000_000 + i * 10,
      tsInit: 1_700_000_000_000 + i * 10 + 3,
      symbol: SYMBOLS[i % SYMBOLS.length]!,
      price: 100 + (i % 1000) / 100,
      size: 1 + (i % 50),
      side: i % 3 ? 'BUY' : 'SELL',
      tradeId: i,
    }));

    let values: Uint8Array[] = [];
    results.push(['serde.encode', median(runs(() => {
      const t0 = performance.now();
      values = trades.map((t) => serde.encode('trades', t));
      return rate(N, performance.now() - t0);
    }))]);
    const records: AppendRecord[] = trades.map((t, i) => ({ key: t.symbol, timestamp: t.tsEvent, value: values[i]! }));
    const valueBytes = values.reduce((s, v) => s + v.length, 0) / N;

    for (const batch of [1_000, 10_000]) {
      const rates: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const topic = `bench-append-${batch}-${r}`;
        const t0 = performance.now();
        for (let i = 0; i < N; i += batch) await log.append(topic, records.slice(i, i + batch));
        rates.push(rate(N, performance.now() - t0));
      }
      results.push([`append (batches of ${batch.toLocaleString('en-US')}, durable)`, median(rates)]);
    }

    // Read as a streaming consumer does: touch each record, keep none (retaining 500k records
    // would measure the garbage collector instead).
    const topic = 'bench-append-10000-0';
    const partitions = await log.partitions(topic);
    const readRates: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      let count = 0;
      let bytes = 0;
      const t0 = performance.now();
      for (let p = 0; p < partitions; p++) {
        for await (const b of log.read(topic, p)) for (const x of b) {
          count++;
          bytes += x.value.length + x.key.length;
        }
      }
      readRates.push(rate(count, performance.now() - t0));
      if (count !== N || bytes <= 0) throw new Error(`read ${count} of ${N}`);
    }
    results.push(['read (batches of 4,096)', median(readRates)]);

    const read: LogRecord[] = [];
    for (let p = 0; p < partitions; p++) for await (const b of log.read(topic, p)) for (const x of b) read.push(x);
    results.push(['serde.decode', median(runs(() => {
      const t0 = performance.now();
      let sum = 0;
      for (const r of read) sum += (serde.decode(r.value).value as Trade).size;
      if (sum <= 0) throw new Error('unreachable');
      return rate(read.length, performance.now() - t0);
    }))]);
    results.push(['serde.decodeAs', median(runs(() => {
      const t0 = performance.now();
      let sum = 0;
      for (const r of read) sum += serde.decodeAs<Trade>('trades', r.value).size;
      if (sum <= 0) throw new Error('unreachable');
      return rate(read.length, performance.now() - t0);
    }))]);
    await close();

    console.log(`tickflow log throughput: ${N.toLocaleString('en-US')} records, value ${valueBytes.toFixed(1)} bytes, median of ${RUNS} (records/s)`);
    for (const [name, value] of results) console.log(`${name.padEnd(40)}${fmt(value)}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function runs(f: () => number): number[] {
  return Array.from({ length: RUNS }, f);
}

await main();
