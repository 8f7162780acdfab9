import { defineCommand } from '../command-spec.ts';
import { duration, existingFile, num, oneOf, text } from '../flags.ts';
import { kafkaFlags } from './log-source.ts';

/** Literal copies so that parsing loads no ingest code; test/unit/cli pins them to the sources. */
export const INGEST_FORMAT_NAMES = ['binance-klines', 'ohlcv-csv', 'option-chain-long', 'option-chain-wide', 'trades', 'binance-trades', 'binance-aggtrades'] as const;
export const CALENDAR_NAMES = ['crypto', 'nse', 'us-equity'] as const;

export const INGEST = defineCommand({
  name: 'ingest',
  summary: 'Imports a CSV (or Parquet) of trades, klines, OHLCV bars or option chains into a log (see docs/ingest.md); a failed import leaves no new log behind.',
  output: 'the import summary: rows read, appended, rejected with reasons',
  flags: {
    log: text({ help: 'the embedded log to append to (created if missing)', arg: 'logDir' }),
    ...kafkaFlags('append to Kafka instead'),
    file: existingFile({ help: 'the CSV or Parquet file to import', required: true }),
    format: oneOf(INGEST_FORMAT_NAMES, { help: 'the file format', required: true }),
    symbol: text({ help: 'the symbol (when the file does not name it)', arg: 'symbol' }),
    tz: text({ help: 'time zone of naive timestamps (IANA name)', arg: 'zone' }),
    stamp: oneOf(['open', 'close'], { help: 'whether a bar time is its open or its close' }),
    interval: text({ help: 'bar interval like 1m, 5m, 1h or 1d (option chains: the slot gaps are counted in, default 5m)', arg: 'interval' }),
    calendar: oneOf(CALENDAR_NAMES, { help: 'the market calendar' }),
    map: text({ help: "the file's column for each tickflow field, e.g. time=transact_time,size=qty (trades: time,price,size,side,id; candles: time,open,high,low,close,volume; chains: time,underlying,expiry,strike,right,bid,ask,last,iv,oi,volume,spot)", arg: 'field=column,…' }),
    'date-format': text({ help: 'layout of date cells that are not ISO 8601 or epoch: DD, MM (or MMM) and YYYY joined by - / or ., e.g. DD-MM-YYYY, MM/DD/YYYY', arg: 'layout' }),
    'premium-in': oneOf(['quote', 'underlying'], { help: 'option chains: premiums in the quote currency, or in the underlying (coin-margined venues; converted with the row\'s spot)', default: 'quote' }),
    rate: num({ help: 'risk-free rate for option chains', default: '0' }),
    'dividend-yield': num({ help: 'dividend yield for option chains', default: '0' }),
    'max-time-gap': duration({ help: 'a row this far after the rows of its symbol before it is rejected (time-jump) unless the 5 rows from it on agree with it (a real gap in the data)', default: '30d' }),
    'future-tolerance': duration({ help: 'rows dated later than now plus this are rejected (time-in-future)', default: '1d' }),
    'max-line-bytes': num({ help: 'CSV lines longer than this many bytes are rejected (line-too-long) without being held in memory; a first line longer than this is no header (exit 2)', int: true, gt: 0, default: '1048576' }),
    'max-chain-rows': num({ help: 'option chains: most contract rows in one snapshot (a wide row holds a call and a put); a larger snapshot is rejected (too-many-rows) and its rows past the limit are never held in memory', int: true, gt: 0, default: '20000' }),
    'parquet-stall-timeout': duration({ help: 'Parquet files are decoded in a worker thread; if it finishes not one page or file read for this long (a decoder looping on a corrupt file), the import stops: exit 2, one line naming the file', default: '60s' }),
    'snapshot-window': duration({ help: "option chains: an underlying's rows within this time of a snapshot's first row join that snapshot (default: the exact same time)" }),
  },
  check: (v) => {
    if (v.broker !== undefined && v.log !== undefined) return 'give either --log or --broker, not both';
    if (v.broker === undefined && v.log === undefined) return 'missing required option --log (or --broker)';
    if (v.broker === undefined && v.registry !== undefined) return '--registry is for Kafka (--broker); the embedded log keeps its own registry';
    if (v['snapshot-window'] !== undefined && !v.format.startsWith('option-chain')) return `--snapshot-window is for option chains, not --format ${v.format}`;
    if (v['date-format'] !== undefined && !validDateFormat(v['date-format'])) return `--date-format ${JSON.stringify(v['date-format'])}: expected DD, MM (or MMM) and YYYY once each, joined by - / or . (e.g. DD-MM-YYYY, MM/DD/YYYY, DD-MMM-YYYY)`;
    if (v.interval !== undefined && !/^\d+[smhd]$/.test(v.interval)) return `--interval ${JSON.stringify(v.interval)}: must be like 1m, 5m, 1h or 1d`;
    return undefined;
  },
});

/** A literal copy of sources/ingest/date-format.ts's rule (parsing loads no ingest code). */
function validDateFormat(f: string): boolean {
  const m = /^(DD|MMM|MM|YYYY)([-/.])(DD|MMM|MM|YYYY)\2(DD|MMM|MM|YYYY)$/.exec(f);
  return m !== null && new Set([m[1], m[3], m[4]].map((t) => (t === 'MMM' ? 'MM' : t))).size === 3;
}
