import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FIXTURES } from './ingest-helpers.ts';

// chain-corrupt-pages.parquet (test/fixtures/ingest/make-corrupt-parquet.ts) is the soak's corrupt
// option-chain file. Its option_type column's first data page header (v2) lost its required
// definition_levels_byte_length and repetition_levels_byte_length; hyparquet 1.31.5 set its
// reader's offset to undefined, read on from NaN, and readVarInt re-read byte 0 (0xa0, a
// continuation bit) forever, at flat memory. patches/hyparquet+1.31.5.patch refuses the header.
// A hang cannot be caught on the thread that hangs, so each read runs in a worker thread that is
// ended after DEADLINE_MS: a read still running then is the hang this test guards against.
// Each case fails with 'hang' on unpatched hyparquet (1.31.5 and 1.33.0).
const FILE = join(FIXTURES, 'chain-corrupt-pages.parquet');
const DEADLINE_MS = 60_000;

/** Runs `code` (an async function body with `file` in scope, returning a string) in a worker; its result or error message, or 'hang'. */
async function inWorker(code: string): Promise<string> {
  const worker = new Worker(`const { parentPort, workerData } = require('node:worker_threads');
(async (file) => { ${code} })(workerData).then((r) => parentPort.postMessage(String(r)), (e) => parentPort.postMessage('error: ' + (e && e.message)));`, { eval: true, workerData: FILE });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => resolve('hang'), DEADLINE_MS);
      worker.once('message', (m: string) => (clearTimeout(timer), resolve(m)));
      worker.once('error', (e) => (clearTimeout(timer), reject(e)));
    });
  } finally {
    await worker.terminate();
  }
}

test('hyparquet refuses the page header without level lengths instead of looping forever', async () => {
  const hyparquet = import.meta.resolve('hyparquet');
  const got = await inWorker(`
    const { readFileSync } = require('node:fs');
    const { parquetReadObjects } = await import(${JSON.stringify(hyparquet)});
    const b = readFileSync(file);
    const rows = await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), columns: ['option_type'], rowStart: 0, rowEnd: 50000 });
    return 'read ' + rows.length + ' rows';`);
  assert.equal(got, 'error: parquet data page header v2 definition_levels_byte_length is undefined');
});

test('snappy refuses a literal whose 4-byte length is negative instead of stepping back for ever', async () => {
  // Found by corrupting files at random (docs/reliability.md): a literal tag 0xfc takes its length
  // from the next 4 bytes; 0xfffffffa is -6 as an int32, so the length was -5 and the position
  // went back to the tag, again and again. 8 bytes: preamble, tag, length, padding.
  const hyparquet = import.meta.resolve('hyparquet');
  const got = await inWorker(`
    const { snappyUncompress } = await import(${JSON.stringify(hyparquet)});
    snappyUncompress(Uint8Array.from([5, 0xfc, 0xfa, 0xff, 0xff, 0xff, 0, 0]), new Uint8Array(5));
    return 'decompressed';`);
  assert.equal(got, 'error: snappy error literal length -5');
});

test("ingest's Parquet reader ends on the file with one error naming it", async () => {
  const source = pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'sources', 'ingest', 'record-source.ts')).href;
  const got = await inWorker(`
    // A worker thread does not inherit tsx's loader: tsImport loads the TypeScript module.
    const { tsImport } = await import('tsx/esm/api');
    const { openRecordSource } = await tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)});
    const s = await openRecordSource(file);
    let n = 0;
    for await (const _ of s.records) n++;
    return 'read ' + n + ' rows';`);
  assert.match(got, /^error: .*chain-corrupt-pages\.parquet: not a readable Parquet file \(.+\)$/);
});
