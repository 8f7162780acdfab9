import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openLog } from '../../cli/log-access.ts';
import type { OptionChainSnapshot } from '../../schemas/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { CliQueue } from '../helpers/cli-queue.ts';

const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const AVAX = join(DATA, 'binance_um_AVAXUSDT-1m-2026-07.csv');
const NIFTY = join(DATA, 'nse_nifty_option_chain_1min_20260818.parquet');
const missing = [AVAX, NIFTY].filter((f) => !existsSync(f));
const skip = missing.length > 0 ? `missing ${missing.join(', ')} (the real-data fixtures live in ../shared/data)` : false;

function readCsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  return { header: (lines[0] as string).split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/**
 * Real data end to end: imported candles flow through the same processors as trades (1m → 5m),
 * the NIFTY underlying (chains only) is priced by its chains' spot, the full feature set comes
 * out sane, a backtest on the AVAX month runs, and replays are byte-identical.
 */
describe('real data → full feature set → model → backtest', { skip }, () => {
  const tmp = tempDir('tickflow-real-');
  const log = join(tmp.dir, 'log');
  const model = join(tmp.dir, 'model');
  after(() => tmp.cleanup());

  // Every command runs once in `before`, in two CLI processes (runCliBatch, docs/testing.md "CLI
  // runs in one process"; a CLI process spends about 2 CPU s loading modules before its command
  // starts); of each pair that must repeat bit for bit (dataset, backtest) one run is in each.
  const first = new CliQueue();
  const ingestAvax = first.queue(['ingest', '--log', log, '--file', AVAX, '--format', 'binance-klines']);
  const ingestNifty = first.queue(['ingest', '--log', log, '--file', NIFTY, '--format', 'option-chain-long', '--tz', 'Asia/Kolkata']);
  const datasetA = first.queue(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'a.csv'), '--feature-set', 'full']);
  const train = first.queue(['train', '--dataset', join(tmp.dir, 'a.csv'), '--out', model, '--seed', '1', '--epochs', '4', '--family', 'logistic', '--cv-folds', '0']);
  const backtest1 = first.queue(['replay', 'backtest', '--log', log, '--model', model, '--out', join(tmp.dir, 'bt1')]);
  const second = new CliQueue();
  const datasetB = second.queue(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'b.csv'), '--feature-set', 'full']);
  const backtest2 = second.queue(['replay', 'backtest', '--log', log, '--model', model, '--out', join(tmp.dir, 'bt2')]);

  before(async () => {
    await first.run();
    assert.equal(ingestAvax().code, 0, ingestAvax().stderr);
    assert.equal(ingestNifty().code, 0, ingestNifty().stderr);
    await second.run();
  });

  test('full-feature dataset: replayed twice, same sha256; AVAX and NIFTY rows sane', async () => {
    const [a, b] = [datasetA(), datasetB()];
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.json.sha256, b.json.sha256);
    const { header, rows } = readCsv(join(tmp.dir, 'a.csv'));
    const col = (name: string): number => {
      const i = header.indexOf(name);
      assert.ok(i >= 0, `no column ${name}`);
      return i;
    };
    const avax = rows.filter((r) => r[0] === 'AVAXUSDT');
    // 31 days x 288 five-minute bars, less the 30-minute label horizon at the end.
    assert.equal(avax.length, 31 * 288 - 6);
    const warm = avax.slice(100);
    for (const name of ['rsi_14', 'macd_line', 'adx_14', 'ofi', 'parkinson_20']) {
      assert.ok(warm.every((r) => r[col(name)] !== '' && Number.isFinite(Number(r[col(name)]))), `${name} missing after warm-up`);
    }
    assert.ok(warm.every((r) => Number(r[col('rsi_14')]) >= 0 && Number(r[col('rsi_14')]) <= 100));

    const nifty = rows.filter((r) => r[0] === 'NIFTY50');
    assert.ok(nifty.length >= 40, `NIFTY rows ${nifty.length}`);
    const access = await openLog(log);
    const snaps: OptionChainSnapshot[] = [];
    try {
      const parts = await access.log.partitions('options');
      for (let p = 0; p < parts; p++) for await (const batch of access.log.read('options', p)) for (const rec of batch) snaps.push(access.decode('options', rec.value) as OptionChainSnapshot);
    } finally {
      await access.close();
    }
    const strikes = snaps[0]!.contracts.map((c) => c.strike);
    const [lo, hi] = [Math.min(...strikes), Math.max(...strikes)];
    for (const r of nifty) {
      const barEnd = Number(r[1]);
      const snap = [...snaps].reverse().find((s) => s.tsInit <= barEnd);
      assert.ok(snap, `no chain before ${barEnd}`);
      const pcr = Number(r[col('pcr_oi')]);
      assert.ok(pcr > 0 && pcr < 10, `pcr_oi ${pcr}`);
      const maxPain = snap.spot * (1 + Number(r[col('max_pain_dist')]));
      assert.ok(maxPain >= lo && maxPain <= hi, `max pain ${maxPain} outside [${lo}, ${hi}]`);
      // Independent ATM IV: the exchange's IVs of the nearest live expiry's strike closest to spot.
      const live = snap.contracts.filter((c) => c.expiry > snap.tsEvent);
      const near = Math.min(...live.map((c) => c.expiry));
      const atm = live.filter((c) => c.expiry === near).reduce((best, c) => (Math.abs(c.strike - snap.spot) < Math.abs(best.strike - snap.spot) ? c : best));
      const exch = live.filter((c) => c.expiry === near && c.strike === atm.strike && c.iv !== null).map((c) => c.iv as number);
      const feat = Number(r[col('atm_iv')]);
      const ref = exch.reduce((s, v) => s + v, 0) / exch.length;
      assert.ok(Math.abs(feat - ref) < 0.02, `atm_iv ${feat} vs exchange ${ref}`);
    }
  });

  test('a model on the AVAX month (full feature set) backtests, twice identically', () => {
    const t = train();
    assert.equal(t.code, 0, t.stderr);
    const [r1, r2] = [backtest1(), backtest2()];
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.json.sha256, r2.json.sha256);
    assert.equal(typeof r1.json.sharpe, 'number');
  });
});
