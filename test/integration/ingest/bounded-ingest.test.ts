import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { csvLineBatches } from '../../../sources/ingest/csv-lines.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { FIXTURES } from '../../unit/ingest/ingest-helpers.ts';

const tmp = tempDir('tickflow-bounded-');
after(() => tmp.cleanup());

/** Writes `bytes` of `fill` (no newline) in 1 MiB pieces, so the test itself stays small in memory. */
function writeRun(fd: number, bytes: number, fill: number): void {
  const piece = Buffer.alloc(1 << 20, fill);
  for (let left = bytes; left > 0; left -= piece.length) writeSync(fd, piece, 0, Math.min(piece.length, left));
}

function candleLines(from: number, n: number): string {
  const t0 = Date.parse('2026-07-01T00:00:00Z');
  let s = '';
  for (let i = from; i < from + n; i++) s += `${new Date(t0 + i * 60_000).toISOString()},100,101,99,100.5,10\n`;
  return s;
}

describe('bounded ingest: line length, headers, corrupt Parquet', () => {
  test('a 24 MB line among candles is rejected line-too-long; the rows around it are imported', async () => {
    const file = join(tmp.dir, 'long-line.csv');
    const fd = openSync(file, 'w');
    writeSync(fd, `timestamp,open,high,low,close,volume\n${candleLines(0, 10)}`);
    writeRun(fd, 24 << 20, 0x41);
    writeSync(fd, `\n${candleLines(10, 10)}`);
    closeSync(fd);
    const r = await runCli(['ingest', '--log', join(tmp.dir, 'log1'), '--file', file, '--format', 'ohlcv-csv', '--symbol', 'XYZ', '--interval', '1m']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.accepted, 20);
    assert.deepEqual(r.json.reasons, { 'line-too-long': 1 });
  });

  test('a file of NUL bytes with no newline (no parseable header): one line naming the file, exit 2, no log left', async () => {
    const file = join(tmp.dir, 'zeros.bin');
    const fd = openSync(file, 'w');
    writeRun(fd, 8 << 20, 0);
    closeSync(fd);
    const formats = ['ohlcv-csv', 'binance-klines', 'trades', 'binance-trades', 'option-chain-long', 'option-chain-wide'];
    const junk = join(tmp.dir, 'junk.csv');
    writeFileSync(junk, '\u0000\u0000\u0000,\u0000\n1,2\n');
    // The eight ingests run in one process (test/helpers/cli-batch.ts), each checked as its own process would be.
    const results = await runCliBatch([
      ...formats.map((format) => ['ingest', '--log', join(tmp.dir, `zlog-${format}`), '--file', file, '--format', format, '--symbol', 'X']),
      // The same with a smaller limit, and a short garbage first line for klines (whose header is optional).
      ['ingest', '--log', join(tmp.dir, 'zs'), '--file', join(FIXTURES, 'ohlcv-iso-close.csv'), '--format', 'ohlcv-csv', '--max-line-bytes', '10'],
      ['ingest', '--log', join(tmp.dir, 'zk'), '--file', junk, '--format', 'binance-klines', '--symbol', 'X'],
    ]);
    for (const [i, format] of formats.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, `${format}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^tickflow: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: no parseable header: the first line is longer than --max-line-bytes 1048576`), format);
    }
    const small = results[formats.length]!;
    assert.equal(small.code, 2);
    assert.match(small.stderr, /:1: no parseable header: the first line is longer than --max-line-bytes 10\n$/);
    const k = results[formats.length + 1]!;
    assert.equal(k.code, 2, k.stderr);
    assert.match(k.stderr, /junk\.csv:1: no parseable header: expected Binance's kline header/);
  });

  test('an empty file is an error, exit 2', async () => {
    const file = join(tmp.dir, 'empty.csv');
    writeFileSync(file, '');
    const formats = ['ohlcv-csv', 'binance-klines', 'trades', 'option-chain-long'];
    // One process for the four (test/helpers/cli-batch.ts), each checked as its own process would be.
    const results = await runCliBatch(formats.map((format) => ['ingest', '--log', join(tmp.dir, `elog-${format}`), '--file', file, '--format', format, '--symbol', 'X', '--interval', '1m']));
    for (const [i, format] of formats.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, `${format}: ${r.stderr}`);
      assert.match(r.stderr, /empty\.csv: no parseable header: the file has no lines\n$/, format);
    }
  });

  test('a corrupt Parquet file: one line naming the file, exit 2, no stack', async () => {
    const good = readFileSync(join(FIXTURES, 'trades-generic.parquet'));
    const garbled = Buffer.from(good);
    // Keep the magic at both ends; overwrite the footer's metadata length and the bytes before it.
    garbled.fill(0xff, Math.max(4, garbled.length - 64), garbled.length - 4);
    const bad = join(tmp.dir, 'bad.parquet');
    writeFileSync(bad, garbled);
    const truncated = join(tmp.dir, 'cut.parquet');
    writeFileSync(truncated, Buffer.concat([good.subarray(0, Math.floor(good.length / 2)), Buffer.from('PAR1')]));
    const cases = [[bad, 'trades'], [truncated, 'trades'], [bad, 'option-chain-long']] as const;
    // The three in ONE process (test/helpers/cli-batch.ts), each checked as its own process would be.
    const results = await runCliBatch(cases.map(([file, format]) => ['ingest', '--log', join(tmp.dir, `plog-${format}`), '--file', file, '--format', format, '--symbol', 'X']));
    for (const [i, [file]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.startsWith(`tickflow: ${file}: not a readable Parquet file (`), r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  test('the soak corrupt chain file that hung ingest: one line naming the file, exit 2', async () => {
    // test/fixtures/ingest/make-corrupt-parquet.ts; with hyparquet unpatched this import ran forever
    // (test/unit/ingest/parquet-corrupt-pages.test.ts shows where).
    const file = join(FIXTURES, 'chain-corrupt-pages.parquet');
    const r = await runCli(['ingest', '--log', join(tmp.dir, 'clog'), '--file', file, '--format', 'option-chain-long', '--tz', 'Asia/Kolkata']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`tickflow: ${file}: not a readable Parquet file (`), r.stderr);
  });

  test('the line reader keeps at most one line of the limit: lines across chunks, CRLF, a long line at the end', async () => {
    const file = join(tmp.dir, 'lines.csv');
    writeFileSync(file, `a,b\r\n${'x'.repeat(50)}\n\n€,ü\n${'y'.repeat(40)}`);
    for (const chunk of [1, 3, 7, 64]) {
      const got: [number, string[], boolean][] = [];
      for await (const b of csvLineBatches(file, chunk, 30)) for (const l of b) got.push([l.lineNo, l.cells, l.tooLong === true]);
      assert.deepEqual(got, [[1, ['a', 'b'], false], [2, [], true], [4, ['€', 'ü'], false], [5, [], true]], `chunk ${chunk}`);
    }
  });
});
