import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../../processors/math/rng.ts';
import { binanceTradeBatches, binanceTrades, parseBinanceTrade, type BinanceTradeLayout } from '../../../sources/ingest/binance-trades.ts';
import { tradeLineParser } from '../../../sources/ingest/binance-trade-bytes.ts';
import { decodeLine, splitCsvLine } from '../../../sources/ingest/csv-lines.ts';
import { openTable } from '../../../sources/ingest/table-lines.ts';
import { TradeBatch } from '../../../sources/ingest/trade-batch.ts';
import { tempDir } from '../../helpers/cli.ts';
import { FIXTURES } from './ingest-helpers.ts';

// The reference is the general way (decode, split, trim, parseBinanceTrade, whose numbers are
// Number()'s): whenever the byte parser takes a line, it must give the same trade, bit for bit.

/** Cells of a plain binance-trades row, then variants that must go the general way or parse the same. */
function lines(seed: number, n: number): string[] {
  const rng = new Rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
  const numbers = ['0', '-0', '+5', '00.5', '.5', '5.', '1e3', '0x10', '1_000', ' 7', '7 ', '', 'NaN', 'Infinity', '60,000',
    '60000.123456789012345678', '0.000000000000000000000001234', '0.0000000000000000000001', '12345678901234567890', '9007199254740991', '9007199254740992',
    '900719925474099.1', '0.1000000000000000055511151231257827', '123456789012345.6', '1234567890123456.7', '0.1234567890123456', '1.0000000000000000000000', '٣', '"5"'];
  const makers = ['true', 'false', 'TRUE', 'False', '1', '0', '', ' true', 'truex', 'maybe', 'yes'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const cells = [String(5_000_000_000 + i), (rng.next() * 1e5).toFixed(Math.floor(rng.next() * 9)), (rng.next() * 10).toFixed(Math.floor(rng.next() * 12)), 'q',
      String(1_782_864_000_000 + i), rng.next() < 0.5 ? 'true' : 'false', 'true'];
    const r = rng.next();
    if (r < 0.4) cells[Math.floor(rng.next() * 5)] = pick(numbers);
    else if (r < 0.5) cells[5] = pick(makers);
    else if (r < 0.55) cells.pop();
    else if (r < 0.6) cells.push('x');
    else if (r < 0.65) cells.splice(2, 1);
    else if (r < 0.7) cells[4] = pick([`${1_782_864_000_000_000 + i}`, `${1_782_864_000 + i}`, '0', '-1', `${1_782_864_000}.5`, '17828640005xx']);
    else if (r < 0.72) cells[3] = pick(['"a,b"', 'é', '\u0000']);
    out.push(cells.join(',') + (rng.next() < 0.05 ? '\r' : ''));
  }
  return out;
}

test('the byte parser gives exactly the general way\'s trade for every line it takes, and takes every plain line', () => {
  for (const layout of ['binance-trades', 'binance-aggtrades'] as BinanceTradeLayout[]) {
    const fast = tradeLineParser(layout);
    const batch = new TradeBatch(4);
    let taken = 0;
    const all = lines(layout === 'binance-trades' ? 3 : 4, 20_000);
    for (let k = 0; k < all.length; k++) {
      let line = all[k]!;
      // aggTrades: first_trade_id and last_trade_id between qty and the time.
      if (layout === 'binance-aggtrades') line = line.replace(/^([^,]*,[^,]*,[^,]*),q,/, '$1,1,2,');
      const buf = Buffer.from(`#${line}#`);
      batch.clear();
      const took = fast(buf, 1, buf.length - 1, k + 2, 'SYM', batch);
      const text = decodeLine(buf, 1, buf.length - 1, k + 2);
      const general = text === null ? null : parseBinanceTrade(splitCsvLine(text), layout, 'SYM');
      if (!took) {
        assert.equal(batch.length, 0);
        continue;
      }
      taken++;
      assert.ok(general?.ok === true, `the byte parser took a line the general way rejects: ${line}`);
      const want = general.value;
      const got = batch.input(0);
      for (const key of ['ts', 'price', 'size', 'id'] as const) assert.ok(Object.is(got[key], want[key]), `${key} of ${line}: ${got[key]} vs ${want[key]}`);
      assert.equal(got.side, want.side);
      assert.equal(got.symbol, 'SYM');
      assert.equal(batch.lineNo[0], k + 2);
    }
    assert.ok(taken > 6_000, `${layout}: took ${taken}`);
    // Plain lines are always taken.
    for (const plain of ['1000,60000.00,0.010,600.0,1782864000100,false,true', '1000,60000,1,600,1782864000100,true', '0,0.5,0.000000000000000000001,x,1782864000100000,false,']) {
      const line = layout === 'binance-trades' ? plain : plain.replace(/^([^,]*,[^,]*,[^,]*),[^,]*,/, '$1,1,2,');
      const buf = Buffer.from(line);
      batch.clear();
      assert.ok(fast(buf, 0, buf.length, 2, 'SYM', batch), line);
    }
  }
});

test('binanceTradeBatches reads the same rows as binanceTrades over openTable (fixtures and a generated file across chunks)', async () => {
  const tmp = tempDir('tickflow-trade-bytes-');
  try {
    const generated = join(tmp.dir, 'GENUSDT-trades-2026-07-01.csv');
    writeFileSync(generated, `${lines(5, 30_000).join('\n')}\n\n  \n${'z'.repeat(300)}\nlast,line`);
    const cases: [string, BinanceTradeLayout, number][] = [
      [join(FIXTURES, 'BTCUSDT-trades-2026-07-01.csv'), 'binance-trades', 1 << 20],
      [join(FIXTURES, 'binance-trades-header-crlf.csv'), 'binance-trades', 1 << 20],
      [join(FIXTURES, 'BTCUSDT-aggTrades-2026-07-01.csv'), 'binance-aggtrades', 1 << 20],
      [generated, 'binance-trades', 1 << 20],
      [generated, 'binance-trades', 200], // lines longer than the limit are rejected the same way
    ];
    for (const [file, layout, maxLineBytes] of cases) {
      const want: unknown[] = [];
      for await (const rows of binanceTrades((await openTable(file, maxLineBytes)).batches, layout, 'SYM', file, maxLineBytes)) {
        for (const r of rows) want.push(r.parsed.ok ? [r.lineNo, { ...r.parsed.value }] : [r.lineNo, r.parsed.reason]);
      }
      const got: unknown[] = [];
      for await (const b of binanceTradeBatches(file, layout, 'SYM', maxLineBytes).batches) {
        for (let i = 0; i < b.length; i++) got.push([b.lineNo[i], b.reason[i] ?? b.input(i)]);
      }
      assert.equal(got.length, want.length, file);
      assert.deepStrictEqual(got, want, `${file} (limit ${maxLineBytes})`);
    }
  } finally {
    tmp.cleanup();
  }
});
