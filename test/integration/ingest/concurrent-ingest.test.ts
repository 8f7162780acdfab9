import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { openLog } from '../../../cli/log-access.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';

/** Writes `rows` one-minute candles (a valid OHLCV CSV) and resolves when the file is closed. */
async function candleFile(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('Date,Open,High,Low,Close,Volume\n');
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < rows; i++) {
    const d = new Date(t0 + i * 60_000).toISOString();
    const p = 100 + (i % 50) / 10;
    if (!out.write(`${d},${p},${p + 1},${p - 1},${p + 0.5},${100 + (i % 7)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

describe('ingest takes the writer lock', () => {
  test('two concurrent ingests of the same file into one log: one is refused (exit 2), no duplicates', async () => {
    const tmp = tempDir('tickflow-ingest-lock-');
    try {
      const file = join(tmp.dir, 'candles.csv');
      // Big enough that the first import still runs when the second starts (both start together).
      const rows = 200_000;
      await candleFile(file, rows);
      const log = join(tmp.dir, 'log');
      const args = ['ingest', '--log', log, '--file', file, '--format', 'ohlcv-csv', '--symbol', 'TEST', '--interval', '1m', '--calendar', 'crypto'];
      const [a, b] = await Promise.all([runCli(args), runCli(args)]);
      const codes = [a.code, b.code].sort();
      assert.deepEqual(codes, [0, 2], `exit codes ${String(a.code)} ${String(b.code)}: ${a.stderr} ${b.stderr}`);
      const [ok, refused] = a.code === 0 ? [a, b] : [b, a];
      assert.match(refused.stderr, /^tickflow: .* is being written by process \d+ \(tickflow ingest\)/m);
      assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
      assert.equal(ok.json.accepted, rows);
      const access = await openLog(log);
      try {
        let n = 0;
        const parts = await access.log.partitions('candles');
        for (let p = 0; p < parts; p++) n += await access.log.endOffset('candles', p);
        assert.equal(n, rows);
      } finally {
        await access.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
