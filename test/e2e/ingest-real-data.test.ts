import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openLog } from '../../cli/log-access.ts';
import type { OptionChainSnapshot } from '../../schemas/index.ts';
import { tempDir, type CliResult } from '../helpers/cli.ts';
import { runCliBatch } from '../helpers/cli-batch.ts';

const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const AVAX = join(DATA, 'binance_um_AVAXUSDT-1m-2026-07.csv');
const NIFTY = join(DATA, 'nse_nifty_option_chain_1min_20260818.parquet');
const missing = [AVAX, NIFTY].filter((f) => !existsSync(f));
const skip = missing.length > 0 ? `missing ${missing.join(', ')}` : false;

// Expected values from ../shared/data/SOURCES.md: 44,640 rows 2026-07-01 00:00 -> 07-31 23:59 UTC,
// no gaps; 288 NIFTY snapshots from 10:43 to 15:30 IST, spot 24154.900390625.
describe('ingest the real data files through the CLI', { skip }, () => {
  const tmp = tempDir('tickflow-ingest-e2e-');
  const log = join(tmp.dir, 'log');
  after(() => tmp.cleanup());
  // The three ingests in ONE process (test/helpers/cli-batch.ts), started by the first test.
  let batch: Promise<CliResult[]> | undefined;
  const ingest = async (i: number): Promise<CliResult> =>
    (await (batch ??= runCliBatch([
      ['ingest', '--log', log, '--file', AVAX, '--format', 'binance-klines'],
      ['ingest', '--log', log, '--file', AVAX, '--format', 'binance-klines'],
      ['ingest', '--log', log, '--file', NIFTY, '--format', 'option-chain-long', '--tz', 'Asia/Kolkata'],
    ])))[i]!;

  test('AVAXUSDT month: 44640 candles, no gaps, close-stamped; second ingest adds nothing', async () => {
    const a = await ingest(0);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.json.accepted, 44640);
    assert.equal(a.json.rejected, 0);
    assert.equal(a.json.gaps, 0);
    assert.deepEqual(a.json.symbols, ['AVAXUSDT']);
    assert.equal(a.json.firstTs, Date.UTC(2026, 6, 1, 0, 1)); // first candle 00:00-00:01, stamped at its close
    assert.equal(a.json.lastTs, Date.UTC(2026, 7, 1, 0, 0)); // last candle 23:59-24:00
    assert.match(a.stderr, /ingest binance-klines/);
    const b = await ingest(1);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.json.accepted, 0);
    assert.deepEqual(b.json.reasons, { duplicate: 44640 });
  });

  test('NIFTY day: 288 snapshots (or fewer with reasons), spot and IV fractions sane', async () => {
    const r = await ingest(2);
    assert.equal(r.code, 0, r.stderr);
    const accepted = r.json.accepted as number;
    const rejected = r.json.rejected as number;
    assert.ok(accepted > 0 && accepted + rejected + (r.json.stale as number) === 288, JSON.stringify(r.json));
    assert.deepEqual(r.json.symbols, ['NIFTY50']);
    assert.equal(r.json.ivUnit, 'percent');
    assert.equal(r.json.firstTs, 1787029980_000); // 10:43 IST (GNU date)
    // The 15:30 snapshot is at the close, outside NSE's [09:15, 15:30) session: rejected, not appended.
    assert.deepEqual(r.json.reasons, { 'outside-session': 1 });
    assert.equal(r.json.lastTs, 1787047140_000); // 15:29 IST
    const access = await openLog(log);
    try {
      const parts = await access.log.partitions('options');
      const snaps: OptionChainSnapshot[] = [];
      for (let p = 0; p < parts; p++) for await (const batch of access.log.read('options', p)) for (const rec of batch) snaps.push(access.decode('options', rec.value) as OptionChainSnapshot);
      assert.equal(snaps.length, accepted);
      assert.equal(snaps[snaps.length - 1]!.tsEvent, 1787047140_000);
      assert.ok(Math.abs(snaps[0]!.spot - 24212.8) < 0.01, `spot ${snaps[0]!.spot}`);
      const ivs = snaps[0]!.contracts.map((c) => c.iv).filter((v): v is number => v !== null);
      assert.ok(ivs.length > 400, `ivs ${ivs.length}`);
      for (const v of ivs) assert.ok(v > 0 && v < 5, `iv ${v}`);
      assert.deepEqual(new Set(snaps[0]!.contracts.map((c) => c.right)), new Set(['C', 'P']));
    } finally {
      await access.close();
    }
  });
});
