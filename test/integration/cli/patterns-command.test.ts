/**
 * `tickflow patterns` end to end on real AVAX 5-minute bars ingested as candles (resampled at test
 * time from ../shared/data by test/helpers/avax-5m.ts and written to a temp CSV: SOURCES.md says that
 * data is read there, never copied into the project; skipped with a message where it is absent): the
 * table is the one the PatternStatsEngine gives when fed the same bars directly (the command goes
 * through the graph's bar building and must not change them), and a symbol the log does not hold
 * is a one-line usage error, exit 2.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PATTERN_STATS_DEFAULTS, PatternStatsEngine } from '../../../processors/features/patterns/index.ts';
import type { Bar } from '../../../schemas/bar.ts';
import { PATTERNS_DEFAULT_HORIZON, PATTERNS_DEFAULT_MIN_COUNT } from '../../../cli/specs/patterns.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';
import { AVAX_1M_ABSENT, avax1mPresent, avax5mBars, avax5mCsv, type Avax5mBar } from '../../helpers/avax-5m.ts';

const SKIP = avax1mPresent() ? false : AVAX_1M_ABSENT;
const tmp = tempDir('tickflow-patterns-');
const log = join(tmp.dir, 'log');
const csv = join(tmp.dir, 'avax-5m.csv');
let bars: Avax5mBar[] = [];
after(() => tmp.cleanup());

test("tickflow patterns: the flags' defaults are the engine's", () => {
  assert.equal(PATTERNS_DEFAULT_HORIZON, String(PATTERN_STATS_DEFAULTS.horizonBars));
  assert.equal(PATTERNS_DEFAULT_MIN_COUNT, String(PATTERN_STATS_DEFAULTS.minCount));
});

describe('tickflow patterns on real AVAX 5m bars', { skip: SKIP }, () => {
  before(async () => {
    if (SKIP !== false) return;
    bars = avax5mBars();
    writeFileSync(csv, avax5mCsv(bars));
    const r = await runCli(['ingest', '--log', log, '--file', csv, '--format', 'ohlcv-csv', '--map', 'time=end', '--stamp', 'close', '--interval', '5m', '--symbol', 'AVAX']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.accepted, 1500);
  });

  test('the table equals the engine fed the same bars directly', async () => {
    const r = await runCli(['patterns', '--log', log, '--interval', '5m', '--min-count', '10']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.json.rows as Record<string, unknown>[];
    assert.equal(r.json.minCount, 10);
    const engine = new PatternStatsEngine(300_000, { ...PATTERN_STATS_DEFAULTS, minCount: 10 });
    for (const { end, open, high, low, close } of bars) {
      const bar: Bar = { tsEvent: end, tsInit: end, symbol: 'AVAX', interval: '5m', start: end - 300_000, end, open, high, low, close, volume: 1, buyVolume: null, vwap: close, trades: 1 };
      engine.add(bar);
    }
    const want = engine.table('5m').map((row) => ({ symbol: 'AVAX', interval: '5m', ...row }));
    assert.deepEqual(rows, JSON.parse(JSON.stringify(want)));
    assert.ok(rows.some((x) => x.pattern === 'hammer' && x.shrunk !== null), 'some pattern reaches the minimum count');
    for (const x of rows) for (const k of ['pattern', 'context', 'count', 'winRate', 'meanReturn', 't', 'shrunk', 'ic']) assert.ok(k in x, k);
  });

  test('a symbol the log does not hold: one line, exit 2', async () => {
    const r = await runCli(['patterns', '--log', log, '--symbol', 'BTC']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr.trim(), /^tickflow: patterns: no bars of symbol "BTC" in the log \(symbols: AVAX\)$/);
  });
});
