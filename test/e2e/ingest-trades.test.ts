import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, tempDir, type CliResult } from '../helpers/cli.ts';
import { runCliBatch } from '../helpers/cli-batch.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'ingest');
const AGG = join(FIXTURES, 'BTCUSDT-aggTrades-2026-07-01.csv');
const PARQUET = join(FIXTURES, 'trades-generic.parquet');

/** The `ofi` column of a dataset CSV, by bar end (null cells skipped). */
function ofiByBar(path: string): { barEnd: number; ofi: number }[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const header = lines[0]!.split(',');
  const col = header.indexOf('ofi');
  assert.ok(col >= 0, `no ofi column in ${header.join(',')}`);
  return lines.slice(1).map((l) => l.split(',')).filter((c) => c[col] !== '').map((c) => ({ barEnd: Number(c[header.indexOf('barEnd')]), ofi: Number(c[col]) }));
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

// The fixture's generator (test/fixtures/ingest/make-trades-fixtures.ts) makes the taker buy 70 %
// of the time for the first 90 minutes and 30 % after: bar OFI = 2 buyVolume / volume - 1 is
// expected near +0.4 then near -0.4.
describe('trades → log → dataset: order-flow features from real trade sides', () => {
  const tmp = tempDir('tickflow-trades-e2e-');
  after(() => tmp.cleanup());
  const split = Date.UTC(2026, 6, 1, 1, 30);

  test('binance-aggtrades: side from the file; the dataset is reproducible byte for byte', async () => {
    const log = join(tmp.dir, 'agg');
    const out = [join(tmp.dir, 'a1.csv'), join(tmp.dir, 'a2.csv')];
    // The ingest and the first dataset in one process (test/helpers/cli-batch.ts); the second
    // dataset in a process of its own, so the bytes compared come from two processes.
    const [ing, r1] = (await runCliBatch([
      ['ingest', '--log', log, '--file', AGG, '--format', 'binance-aggtrades'],
      ['replay', 'dataset', '--log', log, '--out', out[0]!],
    ])) as [CliResult, CliResult];
    assert.equal(ing.code, 0, ing.stderr);
    assert.equal(ing.json.accepted, 720);
    assert.equal(ing.json.sideFrom, 'file');
    assert.equal(r1.code, 0, r1.stderr);
    const r2 = await runCli(['replay', 'dataset', '--log', log, '--out', out[1]!]);
    assert.equal(r2.code, 0, r2.stderr);
    const [a, b] = out.map((o) => createHash('sha256').update(readFileSync(o)).digest('hex'));
    assert.equal(a, b);
    const rows = ofiByBar(out[0]!);
    assert.ok(rows.length >= 20, `${rows.length} rows with ofi`);
    assert.ok(rows.some((r) => r.ofi !== 0), 'ofi is not all zero');
    const early = mean(rows.filter((r) => r.barEnd <= split).map((r) => r.ofi));
    const late = mean(rows.filter((r) => r.barEnd > split).map((r) => r.ofi));
    assert.ok(early > 0.15 && late < -0.15, `mean ofi ${early} before 01:30, ${late} after`);
  });

  test('trades (Parquet, --map, no side): the tick rule gives the same sign of order flow', async () => {
    const log = join(tmp.dir, 'generic');
    const o = join(tmp.dir, 'g.csv');
    const [ing, r] = (await runCliBatch([
      ['ingest', '--log', log, '--file', PARQUET, '--format', 'trades', '--map', 'time=exec_time,price=last_px'],
      ['replay', 'dataset', '--log', log, '--out', o],
    ])) as [CliResult, CliResult];
    assert.equal(ing.code, 0, ing.stderr);
    assert.equal(ing.json.sideFrom, 'tick-rule');
    assert.equal(r.code, 0, r.stderr);
    const rows = ofiByBar(o);
    const early = mean(rows.filter((x) => x.barEnd <= split).map((x) => x.ofi));
    const late = mean(rows.filter((x) => x.barEnd > split).map((x) => x.ofi));
    assert.ok(early > 0.15 && late < -0.15, `mean ofi ${early} before 01:30, ${late} after`);
  });

  test('user mistakes: one line naming the flag or the file and line, exit 2', async () => {
    const log = join(tmp.dir, 'bad');
    const cases: [string[], RegExp][] = [
      [['--file', AGG, '--format', 'binance-trades'], new RegExp(`^tickflow: ${AGG.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: binance-trades expects the header`)],
      [['--file', PARQUET, '--format', 'trades', '--map', 'when=exec_time'], /^tickflow: --map "when=exec_time": "when" is not a field of --format trades/],
      [['--file', PARQUET, '--format', 'trades', '--date-format', 'DD-MM-YY'], /^tickflow: --date-format "DD-MM-YY": expected DD, MM/],
      [['--file', AGG, '--format', 'binance-aggtrades', '--premium-in', 'underlying'], /^tickflow: --premium-in applies to option chains/],
    ];
    // The four in one process (test/helpers/cli-batch.ts), each checked as its own process would be.
    const results = await runCliBatch(cases.map(([args]) => ['ingest', '--log', log, ...args]));
    for (const [i, [args, re]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr.trimEnd(), re);
    }
  });
});
