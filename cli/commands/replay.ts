import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPredictor } from '../../model/predictor.ts';
import { readManifest } from '../../model/manifest.ts';
import { requireGatedModel } from '../model-gates.ts';
import { ProgressBar } from '../../model/progress.ts';
import { canonicalJson, reportSha256 } from '../../research/backtest/index.ts';
import { replayBacktest } from '../../research/backtest-replay.ts';
import { exportDataset } from '../../research/dataset.ts';
import { featureSetById } from '../../processors/graph.ts';
import { migrate, openClickHouse, storeBacktestRun } from '../../sinks/clickhouse/index.ts';
import { parse, requireString, toNumber } from '../args.ts';
import { logSource, openLogFrom, topicSize, type LogAccess } from '../log-access.ts';
import { info, printJson, UsageError } from '../output.ts';

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'dataset') return dataset(rest);
  if (sub === 'backtest') return backtest(rest);
  throw new UsageError('usage: tickflow replay dataset|backtest [options]');
}

async function progressFor(log: LogAccess['log'], label: string): Promise<{ bar: ProgressBar; total: number }> {
  const total = (await topicSize(log, 'trades')) + (await topicSize(log, 'options'));
  return { bar: new ProgressBar({ label: label }), total };
}

async function dataset(argv: string[]): Promise<number> {
  const { values } = parse(argv, { log: { type: 'string' }, broker: { type: 'string' }, registry: { type: 'string' }, out: { type: 'string' }, 'feature-set': { type: 'string', default: 'core' } });
  const featureSet = featureSetById(values['feature-set']);
  const out = requireString(values.out, 'out');
  if (!out.endsWith('.csv') && !out.endsWith('.parquet')) throw new UsageError('--out must end in .csv or .parquet');
  const access = await openLogFrom(logSource(values));
  try {
    const { bar, total } = await progressFor(access.log, 'replay dataset');
    const r = await exportDataset({ log: access.log, decode: access.decode, out, featureSet, onProgress: (n) => bar.update(n, total) });
    bar.finish();
    info(`rows ${r.rows}, unlabeled ${r.unlabeled} (horizon beyond the log's end or a missing bar)`);
    printJson({ rows: r.rows, sha256: r.sha256, file: r.file });
    return 0;
  } finally {
    await access.close();
  }
}

async function backtest(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    log: { type: 'string' },
    broker: { type: 'string' },
    registry: { type: 'string' },
    model: { type: 'string' },
    out: { type: 'string' },
    'fee-bps': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'out-of-sample': { type: 'boolean', default: false },
    'allow-ungated': { type: 'boolean', default: false },
    'slippage-bps': { type: 'string' },
    clickhouse: { type: 'string' },
    database: { type: 'string', default: 'default' },
  });
  const logDir = values.log ?? `kafka:${values.broker ?? ''}`;
  const modelDir = requireString(values.model, 'model');
  const outDir = requireString(values.out, 'out');
  const predictor = await loadPredictor(modelDir);
  await requireGatedModel(modelDir, values['allow-ungated']);
  const access = await openLogFrom(logSource(values));
  try {
    const { bar, total } = await progressFor(access.log, 'replay backtest');
    const config = { feeBps: toNumber(values['fee-bps'], 'fee-bps', 5), slippageBps: toNumber(values['slippage-bps'], 'slippage-bps', 2) };
    // The model's own training and early-stopping period is in-sample: trading it flatters the
    // model. --out-of-sample starts after it (plus the label horizon); otherwise it is counted.
    const manifest = await readManifest(modelDir);
    const fitEnd = manifest.split.validation.lastBarEnd + manifest.split.horizonMs;
    const fitStart = manifest.split.train.firstBarEnd;
    const from = values['out-of-sample'] ? Math.max(fitEnd, values.from ? parseTime(values.from, 'from') : -Infinity) : values.from ? parseTime(values.from, 'from') : undefined;
    const to = values.to ? parseTime(values.to, 'to') : undefined;
    const { report, signals } = await replayBacktest({ log: access.log, decode: access.decode, predictor, config, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), onProgress: (n) => bar.update(n, total) });
    bar.finish();
    const sha256 = reportSha256(report);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'report.json'), `${canonicalJson({ modelId: predictor.modelId, config, ...report, sha256 })}\n`);
    let runId: string | undefined;
    if (values.clickhouse) {
      const client = openClickHouse(values.clickhouse);
      try {
        await migrate(client, values.database);
        runId = (await storeBacktestRun(client, { params: { log: logDir, ...config }, modelId: predictor.modelId, report }, { database: values.database })).id;
        info(`backtest run ${runId} stored in ClickHouse`);
      } finally {
        await client.close();
      }
    }
    const inSampleSignals = signals.filter((x) => x.barEnd >= fitStart && x.barEnd < fitEnd && x.action !== 'HOLD').length;
    if (inSampleSignals > 0) info(`warning: ${inSampleSignals} traded signals fall in the model's training/validation period (${new Date(fitStart).toISOString()} .. ${new Date(fitEnd).toISOString()}): those results are in-sample; --out-of-sample trades only after it`);
    const m = report.metrics;
    printJson({ ...(runId ? { runId } : {}), inSampleSignals, trades: m.trades, totalReturn: m.totalReturn, sharpe: m.sharpe, maxDrawdown: m.maxDrawdown, winRate: m.winRate, profitFactor: m.profitFactor, sha256 });
    return 0;
  } finally {
    await access.close();
  }
}

/** An ISO 8601 time or epoch milliseconds. */
function parseTime(value: string, flag: string): number {
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t)) throw new UsageError(`--${flag} must be an ISO time or epoch ms, got ${JSON.stringify(value)}`);
  return t;
}
