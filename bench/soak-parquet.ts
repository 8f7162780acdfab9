// Malformed Parquet inputs for the soak (bench/soak.ts, part `malformed`): files whose rows are
// broken (numbers as text, nulls, NaN/Infinity, non-positive values, unparseable times and
// expiries, bad sides and option rights) in both families that read Parquet (trades, option
// chains), and whole files broken (truncated, corrupt data pages, wrong column names, columns of the wrong
// physical type). A row file must import with exit 0, accepted 0, every row rejected with a
// reason; a broken file either the same, or exit 2 with one line naming the file (never exit 1,
// a stack, or a crash).
import { writeFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';

type Cell = string | number | bigint | boolean | null;
interface Column {
  name: string;
  type: 'STRING' | 'DOUBLE' | 'INT64' | 'BOOLEAN';
  cell: (i: number) => Cell;
}

export interface ParquetCase {
  name: string;
  format: string;
  flags: string[];
  /** Rows written (0 where the file as a whole is broken and a one-line refusal is expected too). */
  rows: number;
  /** `rows`: every row must be rejected with exit 0; `file`: exit 2 naming the file, or every row rejected. */
  expect: 'rows' | 'file';
  write(path: string): void;
}

const T = 1782864000000;
const pick = <V>(xs: V[], i: number): V => xs[i % xs.length] as V;

function table(columns: Column[], rows: number, rowGroupSize = 50_000): Uint8Array {
  const buf = parquetWriteBuffer({
    columnData: columns.map((c) => ({ name: c.name, type: c.type, data: Array.from({ length: rows }, (_, i) => c.cell(i)) as never, nullable: true })),
    rowGroupSize,
  });
  return new Uint8Array(buf);
}

/** Trades with every value text (a producer that wrote everything as strings) and one flaw per row. */
const badTrades = (): Column[] => {
  const kind = (i: number): number => i % 9;
  return [
    { name: 'timestamp', type: 'STRING', cell: (i) => (kind(i) === 3 ? 'not-a-time' : kind(i) === 4 ? null : String(T + i)) },
    { name: 'price', type: 'STRING', cell: (i) => pick(['abc', '-5', '100', '100', '100', 'NaN', '100', null, '100'], i) },
    { name: 'size', type: 'STRING', cell: (i) => pick(['1', '1', '0', '1', '1', '1', 'Infinity', '1', '1'], i) },
    { name: 'side', type: 'STRING', cell: (i) => (kind(i) === 8 ? 'sideways' : 'buy') },
    { name: 'id', type: 'STRING', cell: (i) => String(i + 1) },
    { name: 'symbol', type: 'STRING', cell: () => 'BTC' },
  ];
};

/** A well-formed trades table, to be broken as a whole file. */
const goodTrades: Column[] = [
  { name: 'timestamp', type: 'INT64', cell: (i) => BigInt(T + i * 1000) },
  { name: 'price', type: 'DOUBLE', cell: (i) => 100 + (i % 7) * 0.5 },
  { name: 'size', type: 'DOUBLE', cell: () => 1 },
  { name: 'side', type: 'STRING', cell: (i) => (i % 2 ? 'buy' : 'sell') },
  { name: 'id', type: 'INT64', cell: (i) => BigInt(i + 1) },
  { name: 'symbol', type: 'STRING', cell: () => 'BTC' },
];

const badCandles: Column[] = [
  { name: 'symbol', type: 'STRING', cell: (i) => (i % 8 === 7 ? null : 'XYZ') },
  { name: 'timestamp', type: 'STRING', cell: (i) => pick([`2026-07-01T13:31:00Z`, '2026-13-45T99:99:00Z', '', `2026-07-01T13:31:00Z`, `2026-07-01T13:31:00Z`, `2026-07-01T13:31:00Z`, null, `2026-07-01T13:31:00Z`], i) },
  { name: 'open', type: 'STRING', cell: (i) => pick(['x', '1', '1', '10', '-1', '1', '1', '1'], i) },
  { name: 'high', type: 'STRING', cell: (i) => pick(['1', '1', '1', '9', '1', null, '1', '1'], i) },
  { name: 'low', type: 'STRING', cell: (i) => pick(['1', '1', '1', '11', '-1', '1', '1', '1'], i) },
  { name: 'close', type: 'STRING', cell: (i) => pick(['1', '1', '1', '10', '1', '1', '1', '1'], i) },
  { name: 'volume', type: 'STRING', cell: (i) => pick(['1', '1', '1', '1', '1', '1', '1', '-3'], i) },
];

const badChains: Column[] = [
  { name: 'timestamp', type: 'STRING', cell: (i) => (i % 7 === 2 ? 'garbage' : i % 7 === 6 ? null : '202608181043') },
  { name: 'symbol', type: 'STRING', cell: () => 'NIFTY50' },
  { name: 'expiry', type: 'STRING', cell: (i) => (i % 7 === 3 ? 'not-a-date' : '18-Aug-2026') },
  { name: 'strike', type: 'STRING', cell: (i) => pick(['abc', '24200', '24200', '24200', '-100', null, '24200'], i) },
  { name: 'option_type', type: 'STRING', cell: (i) => (i % 7 === 1 ? 'XX' : i % 7 === 4 ? 'PE' : 'CE') },
  { name: 'spot', type: 'DOUBLE', cell: () => 24212.8 },
  { name: 'ltp', type: 'DOUBLE', cell: () => 60.5 },
  { name: 'volume', type: 'DOUBLE', cell: () => 1000 },
  { name: 'oi', type: 'DOUBLE', cell: () => 500 },
  { name: 'iv', type: 'STRING', cell: (i) => pick(['12.5', 'abc', 'NaN', '12.5', 'Infinity', '12.5', '-1'], i) },
];

/** Flips every 97th byte of the file's middle third (data pages; the footer stays readable). */
function corruptPages(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  for (let i = Math.floor(out.length / 3); i < Math.floor((2 * out.length) / 3); i += 97) out[i] = out[i]! ^ 0xa5;
  return out;
}

export function parquetCases(rowsPerFile: number): ParquetCase[] {
  const n = rowsPerFile;
  const fileRows = Math.min(n, 100_000);
  const good = (): Uint8Array => table(goodTrades, fileRows);
  return [
    { name: 'trades-rows', format: 'trades', flags: [], rows: n, expect: 'rows', write: (p) => writeFileSync(p, table(badTrades(), n)) },
    { name: 'chain-rows', format: 'option-chain-long', flags: ['--tz', 'Asia/Kolkata'], rows: n, expect: 'rows', write: (p) => writeFileSync(p, table(badChains, n)) },
    // Whole files broken: one line naming the file, or every row rejected.
    { name: 'truncated', format: 'trades', flags: [], rows: fileRows, expect: 'file', write: (p) => writeFileSync(p, good().subarray(0, Math.floor(good().length / 2))) },
    { name: 'footer-cut', format: 'trades', flags: [], rows: fileRows, expect: 'file', write: (p) => { const b = good(); writeFileSync(p, Buffer.concat([b.subarray(0, b.length - 12), Buffer.from('PAR1')])); } },
    { name: 'corrupt-pages', format: 'trades', flags: [], rows: fileRows, expect: 'file', write: (p) => writeFileSync(p, corruptPages(good())) },
    { name: 'wrong-column-names', format: 'trades', flags: [], rows: fileRows, expect: 'file', write: (p) => writeFileSync(p, table(goodTrades.map((c, k) => ({ ...c, name: `col_${k}` })), fileRows)) },
    { name: 'wrong-types', format: 'trades', flags: [], rows: fileRows, expect: 'file', write: (p) => writeFileSync(p, table([{ name: 'timestamp', type: 'BOOLEAN', cell: (i) => i % 2 === 0 }, { name: 'price', type: 'BOOLEAN', cell: () => true }, { name: 'size', type: 'BOOLEAN', cell: () => false }, { name: 'side', type: 'INT64', cell: (i) => BigInt(i) }, { name: 'symbol', type: 'DOUBLE', cell: () => 1.5 }], fileRows)) },
    // Candle formats read CSV only: a Parquet file given to them is refused naming the file.
    { name: 'candles-as-parquet', format: 'ohlcv-csv', flags: [], rows: fileRows, expect: 'file', write: (p) => writeFileSync(p, table(badCandles, fileRows)) },
    { name: 'chain-corrupt-pages', format: 'option-chain-long', flags: ['--tz', 'Asia/Kolkata'], rows: fileRows, expect: 'file', write: (p) => writeFileSync(p, corruptPages(table(badChains, fileRows))) },
  ];
}
