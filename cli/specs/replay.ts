import { defineCommand } from '../command-spec.ts';
import { featureSetFlag, identifier, modelDir, num, text, time, toggle } from '../flags.ts';
import { checkLogSource, readLogFlags } from './log-source.ts';

export const REPLAY_DATASET = defineCommand({
  name: 'replay dataset',
  summary: 'Replays the log and writes one labelled row per 5-minute feature vector (CSV or Parquet); same log, same bytes.',
  output: '{"rows":N,"sha256":"…","file":"…"}',
  flags: {
    ...readLogFlags(),
    out: text({ help: 'the dataset file to write (.csv or .parquet)', arg: 'file.csv|file.parquet', required: true }),
    'feature-set': featureSetFlag({ help: 'the feature set to compute', default: 'core' }),
  },
  check: (v) => checkLogSource(v) ?? (/\.(csv|parquet)$/.test(v.out) ? undefined : `--out ${JSON.stringify(v.out)}: must end in .csv or .parquet`),
});

export const REPLAY_BACKTEST = defineCommand({
  name: 'replay backtest',
  summary: "Replays the log through the model and backtests its signals (enter at the next bar's open, exit after the horizon or on an opposite signal; fees and slippage per side).",
  output: '{"inSampleSignals":N,"trades":N,"totalReturn":x,"sharpe":x,"maxDrawdown":x,"winRate":x,"profitFactor":x,"sha256":"…"} (+ runId with --clickhouse)',
  flags: {
    ...readLogFlags(),
    model: modelDir({ help: 'the model to replay', required: true }),
    out: text({ help: 'directory for report.json', arg: 'dir', required: true }),
    'fee-bps': num({ help: 'fee per side in basis points', min: 0, default: '5' }),
    'slippage-bps': num({ help: 'slippage per side in basis points', min: 0, default: '2' }),
    from: time({ help: 'trade only signals with barEnd >= this' }),
    to: time({ help: 'trade only signals with barEnd < this' }),
    'out-of-sample': toggle("trade only after the model's training and validation period (plus the label horizon)"),
    clickhouse: text({ help: 'also store the run in ClickHouse at this URL', arg: 'url' }),
    database: identifier({ help: 'ClickHouse database', default: 'default' }),
  },
  check: (v) => checkLogSource(v) ?? (v.from !== undefined && v.to !== undefined && v.from >= v.to ? '--from must be before --to' : undefined),
});
