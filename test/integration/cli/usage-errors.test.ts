import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';
import { CliQueue } from '../../helpers/cli-queue.ts';

// The CLI edge (cli/specs/*, cli/command-spec.ts): every user mistake is ONE line on stderr that
// names the flag or file, exit 2, nothing on stdout, and no work done (no directory created).
// The cases run through the CLI's runTickflow in ONE child process (test/helpers/cli-batch.ts:
// stdout, stderr with the logger's lines, the exit code); 'the process edge' below runs a few of
// them as real `tickflow` processes and requires the same code, stdout and stderr from both.
const tmp = tempDir('tickflow-usage-');
after(() => tmp.cleanup());
const missing = join(tmp.dir, 'lgo');
const notALog = tmp.dir; // exists, but holds no data.mdb
const badCsv = join(tmp.dir, 'bad.csv');
writeFileSync(badCsv, 'foo,bar\n1,2\n');

/** [arguments, what the one line must say]. */
const CASES: [string[], RegExp][] = [
  [['start', '--speed', '0'], /^tickflow: --speed "0": must be a number > 0$/],
  [['start', '--speed', 'fast'], /^tickflow: --speed "fast": must be a number > 0$/],
  [['start', '--backend', 'gpu'], /^tickflow: --backend "gpu": must be one of wasm, cpu, tensorflow$/],
  [['start', '--database', 'x; DROP TABLE signals'], /^tickflow: --database "x; DROP TABLE signals": must be a plain identifier/],
  [['start', '--stop-after', '6'], /^tickflow: --stop-after "6": must be a duration like 90m, 6h or 2d$/],
  [['start', '--port', '70000'], /^tickflow: --port "70000": must be a whole number >= 0 <= 65535$/],
  [['start', '--feature-set', 'huge'], /^tickflow: --feature-set "huge": must be one of core, core-v1, core-v2, full, full-v1, patterns, patterns-v1, cross, cross-v1, or cross:<reference symbol>$/],
  [['start', '--feed-only'], /^tickflow: --feed-only needs --broker/],
  [['start', '--source', 'nse:RELIANCE'], /^tickflow: --source nse:RELIANCE: 'RELIANCE' is not an index with an NSE option chain \(known: NIFTY, BANKNIFTY, /],
  [['start', '--source', 'nse:NIFTY', '--poll-seconds', '0'], /^tickflow: --poll-seconds "0": must be a number > 0$/],
  [['start', '--source', 'binance:BTCUSDT', '--calendar', 'crypto'], /^tickflow: --calendar is for --source nse:\.\.\. \(when to poll\)$/],
  [['start', '--log', 'a', '--broker', 'b:1'], /^tickflow: give either --log or --broker, not both$/],
  [['start', '--sped', '10'], /^tickflow: unknown option --sped \(see tickflow start --help\)$/],
  [['start', '--speed'], /^tickflow: --speed needs a value/],
  [['start', '--no-ws=yes'], /^tickflow: --no-ws takes no value/],
  [['start', 'now'], /^tickflow: unexpected argument "now"/],
  [['generate', '--days', '0', '--out', join(tmp.dir, 'g')], /^tickflow: --days "0": must be a number > 0$/],
  [['generate'], /^tickflow: missing required option --out/],
  [['generate', '--change-at', '1.5', '--out', join(tmp.dir, 'g')], /^tickflow: --change-at must be a fraction in \(0, 1\) or an ISO date\/time or epoch ms, got "1\.5"$/],
  [['train', '--dataset', badCsv, '--out', join(tmp.dir, 'm'), '--seeds', '0'], /^tickflow: --seeds "0": must be a whole number >= 1$/],
  [['train', '--dataset', join(tmp.dir, 'nope.csv'), '--out', join(tmp.dir, 'm')], /^tickflow: --dataset ".*nope\.csv": no such file$/],
  [['train', '--dataset', badCsv, '--out', join(tmp.dir, 'm'), '--epochs', '2.5'], /^tickflow: --epochs "2\.5": must be a whole number > 0$/],
  [['replay', 'dataset', '--log', notALog, '--out', 'x.txt'], /^tickflow: --log ".*": is not an event log \(no data\.mdb in it\)$/],
  [['train', '--dataset', badCsv, '--out', join(tmp.dir, 'm'), '--label', 'triple-barrier:2,1,12'], /^tickflow: --label triple-barrier:2,1,12: triple-barrier labels are built with the dataset \(replay dataset --label triple-barrier:<up>,<down>,<bars>\); train on that dataset with --label band$/],
  [['replay', 'backtest', '--log', missing, '--model', tmp.dir, '--out', tmp.dir], /^tickflow: --log ".*lgo": no such directory/],
  [['replay', 'backtest', '--fee-bps', '-1'], /^tickflow: --fee-bps: a value starting with - is written --fee-bps=-value/],
  [['replay', 'backtest', '--fee-bps=-1'], /^tickflow: --fee-bps "-1": must be a number >= 0$/],
  [['replay', 'backtest', '--from', 'yesterday'], /^tickflow: --from "yesterday": must be an ISO date\/time or epoch milliseconds$/],
  [['replay'], /^tickflow: tickflow replay needs a subcommand: dataset\|backtest/],
  [['replay', 'datset'], /^tickflow: unknown subcommand "datset" of tickflow replay/],
  [['patterns'], /^tickflow: missing required option --log \(or --broker\)$/],
  [['patterns', '--log', missing], /^tickflow: --log ".*lgo": no such directory/],
  [['patterns', '--interval', '2m'], /^tickflow: --interval "2m": must be one of 1m, 5m, 15m, 1h, 4h, 1d$/],
  [['patterns', '--horizon', '0'], /^tickflow: --horizon "0": must be a whole number >= 1 <= 10000$/],
  [['verify'], /^tickflow: missing required option --model/],
  [['verify', '--model', tmp.dir, '--log', missing], /^tickflow: --log ".*lgo": no such directory/],
  [['verify', '--model', tmp.dir], /^tickflow: --model ".*": holds no model \(no manifest.json\)/],
  [['verify', '--log', tmp.dir, '--model', tmp.dir], /^tickflow: --log ".*": is not an event log/],
  [['ingest', '--log', join(tmp.dir, 'in'), '--file', badCsv, '--format', 'csv'], /^tickflow: --format "csv": must be one of binance-klines, ohlcv-csv, option-chain-long, option-chain-wide, trades, binance-trades, binance-aggtrades$/],
  [['ingest', '--log', join(tmp.dir, 'in'), '--file', badCsv, '--format', 'ohlcv-csv', '--interval', '5 min'], /^tickflow: --interval "5 min": must be like 1m/],
  [['run', 'processors'], /^tickflow: missing required option --broker/],
  [['run', 'gateway', '--broker', 'b:1', '--from', 'start'], /^tickflow: --from "start": must be one of end, earliest$/],
  [['run', 'projector', '--broker', 'b:1', '--database', 'a.b'], /^tickflow: --database "a\.b": must be a plain identifier/],
  [['run', 'processors', '--broker', 'b:1', '--session-timeout', '0s'], /^tickflow: --session-timeout "0s": must be a duration > 0$/],
  [['topics', 'create', '--replication-factor', 'two'], /^tickflow: --replication-factor "two": must be a whole number >= -1$/],
  [['mirror', '--from', 'a', '--to', 'a'], /^tickflow: --from and --to are the same \(a\)$/],
  [['db', 'rebuild', '--log', missing], /^tickflow: --log ".*lgo": no such directory/],
  [['query', 'signals', '--limit', '0'], /^tickflow: --limit "0": must be a whole number > 0$/],
  [['query', 'trades'], /^tickflow: unknown subcommand "trades" of tickflow query/],
  [['train', '--dataset', badCsv, '--out', join(tmp.dir, 'm'), '--family', 'forest'], /^tickflow: --family "forest": must be one of auto, logistic, gbdt, mlp, sequence, stack$/],
  [['train', '--dataset', badCsv, '--out', join(tmp.dir, 'm'), '--cv-folds', '1'], /^tickflow: --cv-folds must be 0 \(no cross-validation\) or an integer >= 2$/],
  [['train', '--dataset', badCsv, '--out', join(tmp.dir, 'm'), '--gates', join(tmp.dir, 'nogates.json')], /^tickflow: --gates ".*nogates\.json": no such file$/],
  [['replay', 'backtest', '--calendar', 'lse'], /^tickflow: --calendar "lse": must be one of auto, crypto, nse, us-equity$/],
  [['replay', 'backtest', '--stop-pct', '0'], /^tickflow: --stop-pct "0": must be a number > 0 <= 1$/],
  [['replay', 'backtest', '--draws', '1.5'], /^tickflow: --draws "1\.5": must be a whole number >= 0 <= 1000000$/],
  [['replay', 'backtest', '--portfolio', 'pooled'], /^tickflow: --portfolio "pooled": must be one of shared, sleeves$/],
  [['replay', 'walk-forward', '--policy-move', 'quantiles'], /^tickflow: --policy-move "quantiles": must be one of head, classes$/],
  [['start', '--hold-only=1'], /^tickflow: --hold-only takes no value/],
  [['models'], /^tickflow: tickflow models needs a subcommand: list\|show\|promote\|diff\|drift/],
  [['models', 'show'], /^tickflow: missing required argument <id> \(see tickflow models show --help\)$/],
  [['models', 'diff', 'a'], /^tickflow: missing required argument <b>/],
  [['models', 'drift', 'a', '--dataset', badCsv, '--window', '5'], /^tickflow: --window "5": must be a whole number >= 10$/],
  [['models', 'show', 'nope', '--dir', tmp.dir], /^tickflow: .*nope/],
  [['tune', '--dataset', badCsv, '--out', join(tmp.dir, 't'), '--families', 'sequence'], /^tickflow: --families: sequence cannot be tuned \(tunable: logistic, gbdt, mlp\)$/],
  [['tune', '--dataset', badCsv, '--out', join(tmp.dir, 't'), '--sampler', 'grid'], /^tickflow: --sampler "grid": must be one of random, tpe$/],
  [['tune', '--dataset', badCsv, '--out', join(tmp.dir, 't'), '--eta', '1'], /^tickflow: --eta "1": must be a whole number >= 2$/],
  [['start', '--broker', 'kafka://127.0.0.1:9092'], /^tickflow: --broker: give host:port, not a URL \(no scheme such as kafka:\/\/\)$/],
  [['topics', 'create', '--broker', '127.0.0.1'], /^tickflow: --broker: must be host:port$/],
  [['verify', '--broker', 'a:1,,b:2'], /^tickflow: --broker: broker 2: empty entry in the list/],
  [['run', 'processors', '--broker', 'a:99999'], /^tickflow: --broker: port must be 1-65535$/],
  [['ingest', '--log', join(tmp.dir, 'never'), '--file', badCsv, '--format', 'option-chain-wide', '--max-chain-rows', '0'], /^tickflow: --max-chain-rows "0": must be a whole number > 0$/],
  [['nope'], /^tickflow: unknown command "nope"/],
  [[], /^tickflow: missing command/],
];

/** Every case of this file, run in one batch before the tests look at the results. */
const cli = new CliQueue();
/** Files and logs some cases need, made before the batch runs. */
const setup: (() => Promise<void>)[] = [];

describe('usage errors: one line naming the flag or file, exit 2, before any work', () => {
  for (const [args, message] of CASES) {
    const result = cli.queue(args);
    test(`tickflow ${args.join(' ')}`, () => {
      const r = result();
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line:\n${r.stderr}`);
      assert.match(lines[0] ?? '', message);
      assert.equal(r.stdout, '');
    });
  }
});

// Credentials in a broker address are refused (tickflow has no SASL; docs/decisions.md D65), at once
// (before this, kafkajs failed on the port and retried for 5 minutes), and never echoed.
describe('--broker with credentials: refused, exit 2, one line, the credentials not repeated', () => {
  const url = 'kafka://alice:s3cretPW@127.0.0.1:9092';
  const commands: string[][] = [
    ['start', '--broker', url],
    ['ingest', '--broker', url, '--file', badCsv, '--format', 'candles'],
    ['replay', 'dataset', '--broker', url, '--out', join(tmp.dir, 'never.csv')],
    ['verify', '--broker', `127.0.0.1:9092,${url}`],
    ['run', 'processors', '--broker', url],
    ['topics', 'create', '--broker', 'alice:s3cretPW@127.0.0.1:9092'],
    ['mirror', '--from', tmp.dir, '--to', 'kafka', '--broker', url],
  ];
  for (const args of commands) {
    const result = cli.queue(args);
    test(`tickflow ${args.slice(0, 2).join(' ')} --broker <user:password@…>`, () => {
      const r = result();
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line:\n${r.stderr}`);
      assert.match(lines[0] ?? '', /^tickflow: --broker: (broker 2: )?credentials in a broker address are not supported: tickflow connects to Kafka without authentication \(no SASL\); give host:port without user:password@$/);
      assert.ok(!r.stderr.includes('s3cretPW') && !r.stderr.includes('alice'), r.stderr);
      assert.equal(r.stdout, '');
    });
  }
});

describe('read commands and a log that is not there', () => {
  const reads: [string, string[]][] = [
    ['verify', ['verify', '--model', tmp.dir]],
    ['replay dataset', ['replay', 'dataset', '--out', join(tmp.dir, 'd.csv')]],
    ['replay backtest', ['replay', 'backtest', '--model', tmp.dir, '--out', join(tmp.dir, 'bt')]],
    ['db rebuild', ['db', 'rebuild']],
  ];
  for (const [name, args] of reads) {
    const typo = join(tmp.dir, `typo-${name.replace(' ', '-')}`);
    const result = cli.queue([...args, '--log', typo]);
    test(`${name} --log <typo> exits 2 naming the path and creates no directory`, () => {
      const r = result();
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes(typo), r.stderr);
      assert.equal(r.stdout, '', 'no result printed (never {"identical":true})');
      assert.equal(existsSync(typo), false);
    });
  }

  const emptyLog = join(tmp.dir, 'empty-log');
  const emptyOut = join(tmp.dir, 'empty.csv');
  setup.push(async () => (await openEmbeddedLog(emptyLog)).close());
  const empty = cli.queue(['replay', 'dataset', '--log', emptyLog, '--out', emptyOut]);
  test('replay dataset on an empty log is an error with the reason, and writes no file', () => {
    const r = empty();
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trimEnd().split('\n').pop() ?? '', /^tickflow: replay dataset: 0 rows from .*: the log holds no trades, candles or option chains; nothing written$/);
    assert.equal(existsSync(emptyOut), false);
    assert.equal(existsSync(`${emptyOut}.meta.json`), false);
  });

  const labelLog = join(tmp.dir, 'empty-log-label');
  const labelOut = join(tmp.dir, 'label.csv');
  setup.push(async () => (await openEmbeddedLog(labelLog)).close());
  const label = cli.queue(['replay', 'dataset', '--log', labelLog, '--out', labelOut, '--label', 'triple-barrier:2,0,12']);
  test('replay dataset --label with a bad triple-barrier spelling exits 2 with the expected form, writing nothing', () => {
    const r = label();
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trimEnd().split('\n').pop() ?? '', /^tickflow: --label must be band or triple-barrier:<up>,<down>,<bars> \(barriers in multiples of σ, > 0; time limit 1\.\.10000 bars\), got "triple-barrier:2,0,12"$/);
    assert.equal(existsSync(labelOut), false);
  });

  const newLog = join(tmp.dir, 'new-log');
  const ingest = cli.queue(['ingest', '--log', newLog, '--file', badCsv, '--format', 'ohlcv-csv', '--symbol', 'X']);
  test('a failed ingest into a new log leaves no directory behind', () => {
    const r = ingest();
    assert.equal(r.code, 2, r.stderr);
    // The file and the line are named (the header is line 1).
    assert.equal(r.stderr.trimEnd().split('\n').pop()?.startsWith(`tickflow: ${badCsv}:1 (ohlcv-csv header): no time column`), true, r.stderr);
    assert.equal(existsSync(newLog), false);
  });

  const refused = cli.queue(['query', 'signals', '--clickhouse', 'http://127.0.0.1:1']);
  test('a refused connection is the user\'s problem: one line, exit 2, no stack', () => {
    const r = refused();
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, 'tickflow: 127.0.0.1:1: connection refused (is the server running, and is the address right?)\n');
  });

  const modelLog = join(tmp.dir, 'log-for-model');
  const brokenModel = join(tmp.dir, 'broken-model');
  setup.push(async () => {
    await (await openEmbeddedLog(modelLog)).close();
    mkdirSync(brokenModel);
    writeFileSync(join(brokenModel, 'manifest.json'), '{"modelId":1}');
  });
  const broken = cli.queue(['verify', '--log', modelLog, '--model', brokenModel]);
  test('a model directory with a broken manifest: one line naming it, exit 2', () => {
    const r = broken();
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines.at(-1) ?? '', /^tickflow: --model .*broken-model: cannot load the model \(.*manifest\.json is not a valid model manifest/);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  });

  // A dataset too short for the split (0.3 days: 120 rows, nothing left for validation after the
  // horizon's purge and the embargo) is the user's data, not a bug (ModelError DATASET_TOO_SHORT).
  const shortLog = join(tmp.dir, 'short-log');
  const shortCsv = join(tmp.dir, 'short.csv');
  const shortSteps = [cli.queue(['generate', '--out', shortLog, '--days', '0.3', '--seed', '4']), cli.queue(['replay', 'dataset', '--log', shortLog, '--out', shortCsv])];
  const short = cli.queue(['train', '--dataset', shortCsv, '--out', join(tmp.dir, 'short-model'), '--family', 'logistic', '--cv-folds', '0']);
  test('train on a dataset too short for its split: one line saying so, exit 2, no stack', () => {
    for (const step of shortSteps) assert.equal(step().code, 0);
    const r = short();
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trimEnd().split('\n').at(-1) ?? '', /^tickflow: .*the validation split is empty after purging and embargo .*the dataset spans too little time/);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  });

  const trialsLog = join(tmp.dir, 'log-for-trials');
  const ledger = join(tmp.dir, 'trials.jsonl');
  setup.push(async () => {
    await (await openEmbeddedLog(trialsLog)).close();
    writeFileSync(ledger, '{"trial":0,"rung":0}\nnot json\n');
  });
  // (replay backtest reads it the same way, after its flag checks, which want a trained --model.)
  const trials = cli.queue(['replay', 'walk-forward', '--log', trialsLog, '--train-days', '1', '--test-days', '1', '--trials', ledger]);
  test('a trials ledger that is not JSON lines: one line naming the file and the line, exit 2, before the replay', () => {
    const r = trials();
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `tickflow: --trials ${ledger}: trials ledger line 2 is not JSON\n`);
  });

  test('--debug adds the stack trace to a usage error', async () => {
    const r = await runCli(['start', '--speed', '0', '--debug']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tickflow: --speed "0": must be a number > 0\nUsageError: /);
    assert.match(r.stderr, /\n {4}at /);
  });
});

// Some cases as real `tickflow` processes: the exit status, stdout and stderr the batch reported
// for them are what the process gives.
describe('the process edge: real processes answer as the batch did', () => {
  const edge: string[][] = [['start', '--speed', '0'], ['nope'], [], ['start', '--broker', 'kafka://alice:s3cretPW@127.0.0.1:9092'], ['patterns', '--log', missing]];
  for (const args of edge) {
    cli.processEdge(args, 2);
  }
});

before(async () => {
  for (const step of setup) await step();
  await cli.run();
});
