import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeFileSync } from 'node:fs';
import { IngestInputError } from '../../../sources/ingest/index.ts';
import { parquetDecoding } from '../../../sources/ingest/parquet-chunks.ts';
import { openRecordSource } from '../../../sources/ingest/record-source.ts';
import { openTable } from '../../../sources/ingest/table-lines.ts';
import { tempDir } from '../../helpers/cli.ts';
import { FIXTURES } from './ingest-helpers.ts';

// Ingest decodes Parquet in a worker thread under a progress watchdog (sources/ingest/parquet-chunks.ts,
// decisions.md D133). The decoders swapped in here are test/fixtures/ingest/*-parquet-worker-boot.mjs.
const REAL = parquetDecoding.workerUrl;
const tmp = tempDir('tickflow-parquet-stall-');
after(() => {
  parquetDecoding.workerUrl = REAL;
  tmp.cleanup();
});
const fixture = (name: string): URL => new URL(`../../fixtures/ingest/${name}`, import.meta.url);

/** 120,000 rows in row groups of 70,000 (windows of 50,000 rows never span two groups), with nulls and every cell type ingest meets. Written once, read by two tests. */
let multiGroup: string | undefined;
function multiGroupFile(): string {
  if (multiGroup !== undefined) return multiGroup;
  const rows = 120_000;
  const col = <T>(f: (i: number) => T): T[] => Array.from({ length: rows }, (_, i) => f(i));
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'Timestamp', type: 'INT64', data: col((i) => BigInt(1782864000000 + i * 250)) as never },
      { name: 'price', type: 'DOUBLE', data: col((i) => (i % 997 === 0 ? null : 100 + (i % 13) * 0.25)) as never, nullable: true },
      { name: 'size', type: 'FLOAT', data: col((i) => 1 + (i % 3)) as never },
      { name: 'side', type: 'STRING', data: col((i) => (i % 5 === 0 ? null : i % 2 ? 'buy' : 'sell')) as never, nullable: true },
      { name: 'flag', type: 'BOOLEAN', data: col((i) => i % 7 === 0) as never },
      { name: 'id', type: 'INT32', data: col((i) => i) as never },
    ],
    rowGroupSize: 70_000,
  });
  const file = join(tmp.dir, 'multi-group.parquet');
  writeFileSync(file, new Uint8Array(buf));
  return (multiGroup = file);
}

async function hyparquetRows(file: string): Promise<Record<string, unknown>[]> {
  const { asyncBufferFromFile } = await import('hyparquet');
  return parquetReadObjects({ file: await asyncBufferFromFile(file) });
}

test('the worker reads the same rows, in the same order, as hyparquet on the ingest thread did', async () => {
  parquetDecoding.workerUrl = REAL;
  for (const file of [multiGroupFile(), join(FIXTURES, 'trades-generic.parquet')]) {
    const expected = await hyparquetRows(file);
    const table = await openTable(file);
    const lines: { lineNo: number; cells: readonly unknown[] }[] = [];
    for await (const b of table.batches) lines.push(...b);
    assert.deepEqual(lines[0], { lineNo: 1, cells: Object.keys(expected[0]!) });
    assert.equal(lines.length, expected.length + 1);
    for (let i = 0; i < expected.length; i++) assert.deepEqual(lines[i + 1], { lineNo: i + 2, cells: Object.values(expected[i]!) }, `row ${i}`);
    assert.deepEqual(table.progress(), { done: expected.length, total: expected.length });

    const source = await openRecordSource(file);
    let n = 0;
    for await (const rec of source.records) {
      const want = Object.fromEntries(Object.entries(expected[n]!).map(([k, v]) => [k.toLowerCase(), v]));
      assert.deepEqual(rec, want, `record ${n}`);
      n++;
    }
    assert.equal(n, expected.length);
  }
});

test('a decoder that never returns is stopped after the stall timeout with one line naming the file', async () => {
  parquetDecoding.workerUrl = fixture('hanging-parquet-worker-boot.mjs');
  const file = join(FIXTURES, 'trades-generic.parquet');
  // The decoder spins a core until it is stopped: a short stall timeout keeps that short (it was 1 s).
  for (const open of [async () => (await openTable(file, undefined, 200)).batches, async () => (await openRecordSource(file, undefined, 200)).records]) {
    const items = await open();
    const t0 = performance.now();
    await assert.rejects(
      (async () => {
        for await (const item of items as AsyncIterable<unknown>) assert.fail(`the hanging decoder gave ${String(item)}`);
      })(),
      (e: unknown) => e instanceof IngestInputError && e.message === `${file}: not a readable Parquet file (decoding made no progress for 200 ms, not one page; stopped by --parquet-stall-timeout)`,
    );
    assert.ok(performance.now() - t0 >= 200, 'stopped before the stall timeout');
  }
});

test('a slow decoder that keeps making progress is not stopped', async () => {
  // 3 s per window without yielding, progress every 100 ms; the stall timeout is 1 s.
  parquetDecoding.workerUrl = fixture('slow-parquet-worker-boot.mjs');
  const file = join(FIXTURES, 'trades-generic.parquet');
  const expected = await hyparquetRows(file);
  const source = await openRecordSource(file, undefined, 1000);
  const got: unknown[] = [];
  for await (const rec of source.records) got.push(rec);
  assert.equal(got.length, expected.length);
});

test('a decoder error is the reader\'s one line, as before the worker', async () => {
  parquetDecoding.workerUrl = REAL;
  const file = join(FIXTURES, 'chain-corrupt-pages.parquet');
  const source = await openRecordSource(file);
  await assert.rejects(
    (async () => {
      for await (const rec of source.records) assert.ok(rec);
    })(),
    (e: unknown) => e instanceof IngestInputError && /^\S+chain-corrupt-pages\.parquet: not a readable Parquet file \(.+\)$/.test(e.message) && !e.message.includes('no progress'),
  );
});

test('rows decoded before a decoder error are still read, in order, then the error', async () => {
  // Windows [0, 50,000), [50,000, 70,000) (the first row group's end), then [70,000, 120,000) refused.
  // The worker decodes one window ahead: its refusal, posted while ingest still reads the first
  // window, must not drop the second, already decoded (it did when the error was raised at once).
  parquetDecoding.workerUrl = fixture('failing-parquet-worker-boot.mjs');
  const file = multiGroupFile();
  const source = await openRecordSource(file, undefined, 60_000);
  let n = 0;
  await assert.rejects(
    (async () => {
      for await (const rec of source.records) {
        assert.equal(rec.id, n);
        n++;
        // Ingest awaits its appends: the event loop turns between rows, and the worker's refusal
        // arrives while the first window is being read (without these turns it waits in the port).
        if (n % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })(),
    (e: unknown) => e instanceof IngestInputError && e.message === `${file}: not a readable Parquet file (corrupt page at row 70000)`,
  );
  assert.equal(n, 70_000);
});
