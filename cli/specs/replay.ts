import { defineCommand } from '../command-spec.ts';
import { existingFile, featureSetFlag, identifier, intervalFlag, modelDir, num, oneOf, text, time, toggle } from '../flags.ts';
import { CALENDAR_NAMES } from './ingest.ts';
import { checkLogSource, readLogFlags } from './log-source.ts';

/** The spec's check of `replay dataset --label` (the command parses it with model/label-rule.ts parseDatasetLabel). */
function checkDatasetLabel(label: string): string | undefined {
  if (label === 'band') return undefined;
  const m = /^triple-barrier:(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+)$/.exec(label);
  const ok = m !== null && Number(m[1]) > 0 && Number(m[2]) > 0 && Number(m[3]) >= 1 && Number(m[3]) <= 10_000;
  return ok ? undefined : `--label must be band or triple-barrier:<up>,<down>,<bars> (barriers in multiples of σ, > 0; time limit 1..10000 bars), got ${JSON.stringify(label)}`;
}

export const REPLAY_DATASET = defineCommand({
  name: 'replay dataset',
  summary: 'Replays the log and writes one labelled row per feature vector of the signal interval (default 5m; CSV or Parquet); same log, same bytes.',
  output: '{"rows":N,"sha256":"…","file":"…"} (+ "barrier":{"up":N,"down":N,"timeout":N,"noVolatility":N} with --label triple-barrier:…)',
  flags: {
    ...readLogFlags(),
    out: text({ help: 'the dataset file to write (.csv or .parquet)', arg: 'file.csv|file.parquet', required: true }),
    'feature-set': featureSetFlag({ help: 'the feature set to compute', default: 'core' }),
    interval: intervalFlag('the bar interval that gets features and labels (the horizon counts its bars)'),
    label: text({
      help: 'labels: band (direction over the horizon with the FLAT band) or triple-barrier:<up>,<down>,<bars> (first touch of a profit target up·σ or a stop down·σ within <bars> bars, else FLAT; σ = std of the last 20 one-bar log returns)',
      arg: 'band|triple-barrier:<up>,<down>,<bars>',
      default: 'band',
    }),
  },
  check: (v) => checkLogSource(v) ?? (/\.(csv|parquet)$/.test(v.out) ? undefined : `--out ${JSON.stringify(v.out)}: must end in .csv or .parquet`) ?? checkDatasetLabel(v.label),
});

export const REPLAY_CONFLUENCE = defineCommand({
  name: 'replay confluence',
  summary:
    "Evaluates a confluence bundle: replays the log through it and compares the fused decision with each single timeframe (its view as of the same base bar ends, same signal rule) on the same out-of-sample rows, after every member's validation period: AUC, hit rate and signal-level return with 95 % block-bootstrap CIs, beside the baselines.",
  output: '{"modelId":"…","window":{"from":…,"to":…},"rows":N,"baseline":{"upShare":x,"alwaysLong":x},"sources":[{"source":"fused|<interval>","auc":{…},"trades":N,"hitRate":{…},"signalReturn":{…}},…]}',
  flags: {
    ...readLogFlags(),
    model: modelDir({ help: 'the confluence bundle (tickflow model confluence)', required: true }),
    'cost-bps': num({ help: 'cost per BUY/SELL decision in basis points, taken from the signal-level return', min: 0, default: '7' }),
    replicates: num({ help: 'bootstrap replicates', int: true, min: 10, default: '1000' }),
    out: text({ help: 'also write the JSON to this file', arg: 'file.json' }),
  },
  check: (v) => checkLogSource(v),
});

export const REPLAY_BACKTEST = defineCommand({
  name: 'replay backtest',
  summary: "Replays the log through the model and backtests its signals (enter at the next bar's open, exit after the horizon, on an opposite signal or at a stop/target; fees and slippage per side); writes report.json and the tear sheet report.html.",
  output: '{"inSampleSignals":N,"trades":N,"totalReturn":x,"sharpe":x,…,"buyAndHold":{…},"randomEntry":{…},"gates":{"passed":bool,"failed":[…]},"sha256":"…"} (+ runId with --clickhouse); exit 1 when --gates is given and a gate fails',
  flags: {
    ...readLogFlags(),
    model: modelDir({ help: 'the model to replay', required: true }),
    interval: intervalFlag("the bar interval of the signals; must be the model's"),
    out: text({ help: 'directory for report.json', arg: 'dir', required: true }),
    'fee-bps': num({ help: 'fee per side in basis points', min: 0, default: '5' }),
    'slippage-bps': num({ help: 'slippage per side in basis points', min: 0, default: '2' }),
    from: time({ help: 'trade only signals with barEnd >= this' }),
    to: time({ help: 'trade only signals with barEnd < this' }),
    'out-of-sample': toggle("trade only after the model's training and validation period (plus the label horizon)"),
    'slippage-range': num({ help: "extra slippage per fill as a fraction of the fill bar's (high - low) / open", min: 0, max: 1, default: '0' }),
    'stop-pct': num({ help: 'stop-loss as a fraction of the entry price', gt: 0, max: 1 }),
    'target-pct': num({ help: 'take-profit as a fraction of the entry price', gt: 0 }),
    'stop-atr': num({ help: 'stop-loss in multiples of the mean true range of the 14 bars before the entry', gt: 0 }),
    'target-atr': num({ help: 'take-profit in multiples of the mean true range of the 14 bars before the entry', gt: 0 }),
    calendar: oneOf(['auto', ...CALENDAR_NAMES], { help: 'session calendar for annualisation (auto: detected from the bar times)', default: 'auto' }),
    seed: num({ help: 'seed of the random-entry baseline', int: true, min: 0, max: 0xffffffff, default: '1' }),
    draws: num({ help: 'random-entry baseline draws (0 = none)', int: true, min: 0, max: 1_000_000, default: '1000' }),
    portfolio: oneOf(['shared', 'sleeves'], { help: "shared: one cash account over all symbols (each position a fraction of the portfolio's equity; an order the cash cannot pay for is skipped and counted); sleeves: each symbol its own equal capital", default: 'shared' }),
    trials: existingFile({ help: "the `tickflow tune` ledger (trials.jsonl) behind this model, for the deflated Sharpe (its number of trials and the spread of their Sharpe ratios)", arg: 'trials.jsonl' }),
    gates: existingFile({ help: 'backtest gates (JSON); given, a failed gate exits 1 (`{}` enforces the defaults)', arg: 'gates.json' }),
    'allow-ungated': toggle('use a model that failed its validation gates'),
    clickhouse: text({ help: 'also store the run in ClickHouse at this URL', arg: 'url' }),
    database: identifier({ help: 'ClickHouse database', default: 'default' }),
  },
  check: (v) => checkLogSource(v) ?? (v.from !== undefined && v.to !== undefined && v.from >= v.to ? '--from must be before --to' : undefined),
});

export const REPLAY_WALK_FORWARD = defineCommand({
  name: 'replay walk-forward',
  summary: 'Walk-forward backtest: retrains the model and its decision policy on each rolling window of --train-days (purged), trades the next --test-days out of sample, and backtests the stitched out-of-sample signals; writes report.json, report.html and the windows\' models to --out.',
  output: '{"trades":N,"totalReturn":x,"sharpe":x,…,"buyAndHold":{…},"randomEntry":{…},"gates":{"passed":bool,"failed":[…]},"windows":[{…}],"sha256":"…"}; exit 1 when --gates is given and a gate fails',
  flags: {
    ...readLogFlags(),
    'train-days': num({ help: 'days of data each window trains on', gt: 0, required: true }),
    'test-days': num({ help: 'days each window trades out of sample (also the step between windows)', gt: 0, required: true }),
    family: oneOf(['logistic', 'gbdt', 'mlp', 'auto'], { help: 'model family retrained on each window', default: 'logistic' }),
    out: text({ help: 'directory for report.json, report.html, the dataset and the windows\' models (default: a temporary directory, removed after)', arg: 'dir' }),
    'feature-set': featureSetFlag({ help: 'the feature set to compute', default: 'core' }),
    seed: num({ help: 'training seed of every window', int: true, min: 0, default: '42' }),
    'fee-bps': num({ help: 'fee per side in basis points (the policy is fitted to beat the same costs)', min: 0, default: '5' }),
    'slippage-bps': num({ help: 'slippage per side in basis points', min: 0, default: '2' }),
    calendar: oneOf(['auto', ...CALENDAR_NAMES], { help: 'session calendar for annualisation (auto: detected from the bar times)', default: 'auto' }),
    draws: num({ help: 'random-entry baseline draws (0 = none)', int: true, min: 0, max: 1_000_000, default: '1000' }),
    'random-seed': num({ help: 'seed of the random-entry baseline', int: true, min: 0, max: 0xffffffff, default: '1' }),
    portfolio: oneOf(['shared', 'sleeves'], { help: "shared: one cash account over all symbols (each position a fraction of the portfolio's equity; an order the cash cannot pay for is skipped and counted); sleeves: each symbol its own equal capital", default: 'shared' }),
    'policy-move': oneOf(['head', 'classes'], { help: "expected move each window's decision policy is fitted on: the model's expected-return head, or the class probabilities x each class's mean validation return", default: 'head' }),
    trials: existingFile({ help: "the `tickflow tune` ledger (trials.jsonl) behind the family and settings used, for the deflated Sharpe", arg: 'trials.jsonl' }),
    gates: existingFile({ help: 'backtest gates (JSON); given, a failed gate exits 1 (`{}` enforces the defaults)', arg: 'gates.json' }),
  },
  check: (v) => checkLogSource(v),
});
