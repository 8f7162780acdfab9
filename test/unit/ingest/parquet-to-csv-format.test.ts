import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { IngestInputError, ingestFile } from '../../../sources/ingest/index.ts';
import { FIXTURES, readTopic, withLog } from './ingest-helpers.ts';

// The candle formats read CSV only. A Parquet file given to them was read as text: its first bytes
// became the "header" and the one-line error carried binary garbage (found by the soak's Parquet part).
for (const format of ['ohlcv-csv', 'binance-klines'] as const) {
  test(`a Parquet file given to --format ${format} is refused naming the file, nothing appended`, () =>
    withLog(async (access) => {
      const file = join(FIXTURES, 'trades-generic.parquet');
      await assert.rejects(ingestFile(access, { file, format, symbol: 'BTCUSDT' }), (e: unknown) => e instanceof IngestInputError && e.message === `${file}: is a Parquet file: --format ${format} reads CSV only (Parquet is read by trades, option-chain-long and option-chain-wide)`);
      assert.deepEqual(await readTopic(access, 'candles'), []);
    }));
}
