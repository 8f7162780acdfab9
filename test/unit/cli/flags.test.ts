import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defineCommand, parseCommand } from '../../../cli/command-spec.ts';
import { describeFailure } from '../../../cli/failure.ts';
import { duration, FEATURE_SET_NAMES, list, num, time } from '../../../cli/flags.ts';
import { UsageError } from '../../../cli/output.ts';
import { DEFAULT_CLICKHOUSE } from '../../../cli/specs/clickhouse.ts';
import { GENERATE } from '../../../cli/specs/generate.ts';
import { CALENDAR_NAMES, INGEST_FORMAT_NAMES } from '../../../cli/specs/ingest.ts';
import { DEFAULT_MODELS_DIR as SPEC_MODELS_DIR, MODELS_SHOW } from '../../../cli/specs/models.ts';
import { REPLAY_BACKTEST } from '../../../cli/specs/replay.ts';
import { CLASS_WEIGHT_NAMES, CV_SCHEME_NAMES, FAMILY_NAMES } from '../../../cli/specs/train.ts';
import { CLASS_WEIGHT_CHOICES } from '../../../model/class-weights.ts';
import { SAMPLER_NAMES, TUNABLE_FAMILY_NAMES } from '../../../cli/specs/tune.ts';
import { FAMILY_CHOICES } from '../../../model/family.ts';
import { CV_SCHEMES } from '../../../model/evaluation/purged-folds.ts';
import { SAMPLERS, TUNABLE_FAMILIES } from '../../../model/evaluation/tune.ts';
import { DEFAULT_MODELS_DIR } from '../../../model/registry/model-registry.ts';
import { DEFAULT_BACKTEST_CONFIG } from '../../../research/backtest/index.ts';
import { ModelError } from '../../../model/errors.ts';
import { CALENDARS } from '../../../processors/calendar/index.ts';
import { FEATURE_SETS, featureSetById } from '../../../processors/graph.ts';
import { DEFAULT_CLICKHOUSE_URL } from '../../../sinks/clickhouse/open-clickhouse.ts';
import { INGEST_FORMATS } from '../../../sources/ingest/index.ts';
import { DEFAULT_SYNTHETIC_CONFIG } from '../../../sources/synthetic/synthetic-config.ts';

const SPEC = defineCommand({
  name: 'demo',
  summary: 'a test command',
  flags: {
    speed: num({ help: 'speed', gt: 0, default: '100' }),
    every: duration({ help: 'how often' }),
    at: time({ help: 'when' }),
    symbols: list({ help: 'symbols', default: 'BTC,ETH' }),
  },
});

describe('flags: one zod schema per command, typed values after', () => {
  test('values are parsed into their types, defaults through the same schema', () => {
    assert.deepEqual(parseCommand(SPEC, []), { speed: 100, every: undefined, at: undefined, symbols: ['BTC', 'ETH'] });
    assert.deepEqual(parseCommand(SPEC, ['--speed', '2.5', '--every', '1.5h', '--at', '2024-01-02T00:00:00Z', '--symbols', ' A, B ,']), {
      speed: 2.5,
      every: 5_400_000,
      at: Date.UTC(2024, 0, 2),
      symbols: ['A', 'B'],
    });
    assert.equal(parseCommand(SPEC, ['--every', '500ms'])?.every, 500);
    assert.equal(parseCommand(SPEC, ['--every', '2d'])?.every, 172_800_000);
    assert.equal(parseCommand(SPEC, ['--at', '1700000000000'])?.at, 1_700_000_000_000);
  });

  test('a bad value is a UsageError naming the flag and the value', () => {
    const bad: [string[], string][] = [
      [['--speed', '0'], '--speed "0": must be a number > 0'],
      [['--speed', ''], '--speed "": must be a number > 0'],
      [['--speed', 'Infinity'], '--speed "Infinity": must be a number > 0'],
      [['--every', '6'], '--every "6": must be a duration like 90m, 6h or 2d'],
      [['--every', '0h'], '--every "0h": must be a duration > 0'],
      [['--at', 'tomorrow'], '--at "tomorrow": must be an ISO date/time or epoch milliseconds'],
      [['--at', '2024-13-45'], '--at "2024-13-45": must be an ISO date/time or epoch milliseconds'],
      [['--symbols', ','], '--symbols ",": must list at least one item (a,b,c)'],
    ];
    for (const [argv, message] of bad) assert.throws(() => parseCommand(SPEC, argv), (e: unknown) => e instanceof UsageError && e.message === message, argv.join(' '));
  });
});

describe('literal lists kept so that parsing loads no heavy code, pinned to their sources', () => {
  test('feature sets', () => {
    for (const s of FEATURE_SETS) assert.ok((FEATURE_SET_NAMES as readonly string[]).includes(s.id), s.id);
    for (const n of FEATURE_SET_NAMES) assert.doesNotThrow(() => featureSetById(n), n);
  });
  test('ingest formats and calendars', () => {
    assert.deepEqual([...INGEST_FORMAT_NAMES], [...INGEST_FORMATS]);
    assert.deepEqual([...CALENDAR_NAMES].sort(), Object.keys(CALENDARS).sort());
  });
  test('model families, cross-validation schemes, tunable families, the model registry', () => {
    assert.deepEqual([...FAMILY_NAMES], [...FAMILY_CHOICES]);
    assert.deepEqual([...CLASS_WEIGHT_NAMES], [...CLASS_WEIGHT_CHOICES]);
    assert.deepEqual([...CV_SCHEME_NAMES], [...CV_SCHEMES]);
    assert.deepEqual([...TUNABLE_FAMILY_NAMES], [...TUNABLE_FAMILIES]);
    assert.deepEqual([...SAMPLER_NAMES], [...SAMPLERS]);
    assert.equal(SPEC_MODELS_DIR, DEFAULT_MODELS_DIR);
  });
  test('replay backtest: the defaults --help shows are the backtester\'s', () => {
    const f = REPLAY_BACKTEST.flags;
    assert.equal(Number(f['fee-bps'].default), DEFAULT_BACKTEST_CONFIG.feeBps);
    assert.equal(Number(f['slippage-bps'].default), DEFAULT_BACKTEST_CONFIG.slippageBps);
    assert.equal(Number(f['slippage-range'].default), DEFAULT_BACKTEST_CONFIG.slippageRange);
    assert.equal(Number(f.seed.default), DEFAULT_BACKTEST_CONFIG.seed);
    assert.equal(Number(f.draws.default), DEFAULT_BACKTEST_CONFIG.randomDraws);
    assert.equal(f.calendar.default, DEFAULT_BACKTEST_CONFIG.calendar);
  });
  test('a bare argument: typed like a flag, named <id> in errors', () => {
    assert.deepEqual(parseCommand(MODELS_SHOW, ['abc', '--dir', 'd']), { id: 'abc', dir: 'd' });
    assert.throws(() => parseCommand(MODELS_SHOW, []), /missing required argument <id> \(see tickflow models show --help\)$/);
    assert.throws(() => parseCommand(MODELS_SHOW, ['a', 'b']), /unexpected argument "b"/);
  });
  test('defaults shown by --help are the libraries\' defaults', () => {
    assert.equal(DEFAULT_CLICKHOUSE, DEFAULT_CLICKHOUSE_URL);
    assert.equal(GENERATE.flags.symbols.default, DEFAULT_SYNTHETIC_CONFIG.symbols.map((s) => s.symbol).join(','));
    assert.equal(Number(GENERATE.flags.seed.default), DEFAULT_SYNTHETIC_CONFIG.seed);
    assert.equal(Number(GENERATE.flags['signal-strength'].default), DEFAULT_SYNTHETIC_CONFIG.signalStrength);
  });
});

describe('describeFailure: the user\'s mistakes exit 2 on one line, bugs exit 1 with a stack', () => {
  const errno = (code: string, message: string, extra: object = {}): Error => Object.assign(new Error(message), { code, ...extra });

  test('a missing file, a refused connection (even as a cause), an invalid model file', () => {
    assert.deepEqual(describeFailure(errno('ENOENT', "ENOENT: no such file or directory, open 'x.csv'", { path: 'x.csv' }), false), { code: 2, text: 'tickflow: x.csv: no such file or directory' });
    const refused = new Error('connect to ClickHouse failed', { cause: errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8123', { address: '127.0.0.1', port: 8123 }) });
    assert.deepEqual(describeFailure(refused, false), { code: 2, text: 'tickflow: connect to ClickHouse failed (127.0.0.1:8123: connection refused (is the server running, and is the address right?))' });
    assert.deepEqual(describeFailure(new ModelError('MANIFEST_INVALID', 'm/manifest.json is not a valid model manifest:\n  ✖ bad'), false), { code: 2, text: 'tickflow: m/manifest.json is not a valid model manifest: ✖ bad' });
    assert.equal(describeFailure(new UsageError('--speed "0": must be a number > 0'), false).text, 'tickflow: --speed "0": must be a number > 0');
  });

  test('a programmer error exits 1 with its stack; --debug adds the stack to a user error', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    const f = describeFailure(bug, false);
    assert.equal(f.code, 1);
    assert.match(f.text, /^tickflow: TypeError: Cannot read properties/);
    assert.match(f.text, /\n {4}at /);
    assert.equal(describeFailure(new ModelError('SAVED_MODEL_DIFFERS', 'x'), false).code, 1);
    assert.match(describeFailure(new UsageError('bad'), true).text, /^tickflow: bad\nUsageError: bad\n {4}at /);
  });
});
