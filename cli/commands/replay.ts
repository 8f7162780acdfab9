import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPredictor } from '../../model/predictor.ts';
import { readManifest } from '../../model/manifest.ts';
import { requireGatedModel } from '../model-gates.ts';
import { ProgressBar } from '../../model/progress.ts';
import { canonicalJson, DEFAULT_GATES, renderTearSheet, resolveBacktestConfig, evaluateGates, parseGates, parseTrialsLedger, reportSha256, type BacktestGates, type BacktestReport, type GateVerdict, type TrialStats } from '../../research/backtest/index.ts';
import { replayBacktest } from '../../research/backtest-replay.ts';
import { exportDataset } from '../../research/dataset.ts';
import { featureSetById } from '../../processors/graph.ts';
import { isCalendarName, type CalendarName } from '../../processors/calendar/index.ts';
import { CLASSES } from '../../processors/types.ts';
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
    'slippage-range': { type: 'string' },
    'stop-pct': { type: 'string' },
    'target-pct': { type: 'string' },
    'stop-atr': { type: 'string' },
    'target-atr': { type: 'string' },
    seed: { type: 'string' },
    draws: { type: 'string' },
    calendar: { type: 'string', default: 'auto' },
    trials: { type: 'string' },
    gates: { type: 'string' },
    clickhouse: { type: 'string' },
    database: { type: 'string', default: 'default' },
  });
  const logDir = values.log ?? `kafka:${values.broker ?? ''}`;
  const modelDir = requireString(values.model, 'model');
  const outDir = requireString(values.out, 'out');
  const cal = values.calendar;
  if (cal !== 'auto' && !isCalendarName(cal)) throw new UsageError('--calendar must be auto, crypto, nse or us-equity');
  const calendar: 'auto' | CalendarName = cal === 'auto' || !isCalendarName(cal) ? 'auto' : cal;
  const trials = values.trials !== undefined ? readTrials(values.trials) : null;
  const gates = values.gates !== undefined ? readGates(values.gates) : { ...DEFAULT_GATES };
  const predictor = await loadPredictor(modelDir);
  await requireGatedModel(modelDir, values['allow-ungated']);
  const access = await openLogFrom(logSource(values));
  try {
    const { bar, total } = await progressFor(access.log, 'replay backtest');
    const config = {
      feeBps: toNumber(values['fee-bps'], 'fee-bps', 5),
      slippageBps: toNumber(values['slippage-bps'], 'slippage-bps', 2),
      slippageRange: toNumber(values['slippage-range'], 'slippage-range', 0),
      stopPct: optionalNumber(values['stop-pct'], 'stop-pct'),
      targetPct: optionalNumber(values['target-pct'], 'target-pct'),
      stopAtr: optionalNumber(values['stop-atr'], 'stop-atr'),
      targetAtr: optionalNumber(values['target-atr'], 'target-atr'),
      seed: toNumber(values.seed, 'seed', 1),
      randomDraws: toNumber(values.draws, 'draws', 1000),
      calendar,
    };
    try {
      resolveBacktestConfig(config); // reject bad values before a long replay
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/\n/g, ' '));
    }
    // The model's own training and early-stopping period is in-sample: trading it flatters the
    // model. --out-of-sample starts after it (plus the label horizon); otherwise it is counted.
    const manifest = await readManifest(modelDir);
    const fitEnd = manifest.split.validation.lastBarEnd + manifest.split.horizonMs;
    const fitStart = manifest.split.train.firstBarEnd;
    const from = values['out-of-sample'] ? Math.max(fitEnd, values.from ? parseTime(values.from, 'from') : -Infinity) : values.from ? parseTime(values.from, 'from') : undefined;
    const to = values.to ? parseTime(values.to, 'to') : undefined;
    const { report, signals } = await replayBacktest({ log: access.log, decode: access.decode, predictor, config, trials, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), onProgress: (n) => bar.update(n, total) });
    bar.finish();
    const sha256 = reportSha256(report);
    const verdict = evaluateGates(report.metrics, gates);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'report.json'), `${canonicalJson({ modelId: predictor.modelId, config, ...report, gates: { ...verdict, thresholds: gates, enforced: values.gates !== undefined }, sha256 })}\n`);
    const model = { modelId: predictor.modelId, confusion: manifest.metrics.confusion, classes: CLASSES };
    writeFileSync(join(outDir, 'report.html'), renderTearSheet(report, { model, gates: verdict, sha256 }));
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
    const traded = signals.filter((x) => x.barEnd >= (from ?? -Infinity) && x.barEnd < (to ?? Infinity));
    const inSampleSignals = traded.filter((x) => x.barEnd >= fitStart && x.barEnd < fitEnd && x.action !== 'HOLD').length;
    if (inSampleSignals > 0) info(`warning: ${inSampleSignals} traded signals fall in the model's training/validation period (${new Date(fitStart).toISOString()} .. ${new Date(fitEnd).toISOString()}): those results are in-sample; --out-of-sample trades only after it`);
    info(gateLine(verdict, values.gates !== undefined));
    printJson({ ...(runId ? { runId } : {}), inSampleSignals, ...backtestSummary(report, verdict), sha256 });
    return values.gates !== undefined && !verdict.passed ? 1 : 0;
  } finally {
    await access.close();
  }
}

/** The JSON line of `replay backtest`: today's fields, the new metrics and the baselines beside them. */
function backtestSummary(report: BacktestReport, verdict: GateVerdict): Record<string, unknown> {
  const m = report.metrics;
  const r = report.randomEntry;
  return {
    trades: m.trades,
    totalReturn: m.totalReturn,
    cagr: m.cagr,
    volatility: m.volatility,
    sharpe: m.sharpe,
    sortino: m.sortino,
    calmar: m.calmar,
    maxDrawdown: m.maxDrawdown,
    maxDrawdownDurationMs: m.maxDrawdownDurationMs,
    winRate: m.winRate,
    profitFactor: m.profitFactor,
    expectancy: m.expectancy,
    avgWin: m.avgWin,
    avgLoss: m.avgLoss,
    exposure: m.exposure,
    turnover: m.turnover,
    longRatio: m.longRatio,
    probabilisticSharpe: m.probabilisticSharpe,
    deflatedSharpe: m.deflatedSharpe,
    deflatedSharpeReason: m.deflatedSharpeReason,
    barsPerYear: m.barsPerYear,
    calendars: report.calendars,
    window: report.window,
    buyAndHold: { totalReturn: report.buyAndHold.totalReturn, sharpe: report.buyAndHold.sharpe, maxDrawdown: report.buyAndHold.maxDrawdown },
    randomEntry: { draws: r.draws, seed: r.seed, mean: r.mean, sd: r.sd, pValue: r.pValue },
    gates: { passed: verdict.passed, failed: verdict.failed },
  };
}

function gateLine(v: GateVerdict, enforced: boolean): string {
  const figures = Object.entries(v.figures).map(([k, f]) => `${k} ${f.value === null ? 'n/a' : Number(f.value.toPrecision(4))} (${f.threshold})`).join(', ');
  const how = enforced ? '' : ' (not enforced: --gates <file> makes a failure exit 1)';
  return v.passed ? `backtest gates passed: ${figures}` : `backtest gates failed: ${v.failed.join(', ')}; ${figures}${how}`;
}

function optionalNumber(value: string | undefined, flag: string): number | null {
  if (value === undefined) return null;
  const n = toNumber(value, flag, 0);
  if (!(n > 0)) throw new UsageError(`--${flag} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

function readTrials(file: string): TrialStats {
  try {
    return parseTrialsLedger(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--trials ${file}: ${(e as Error).message}`);
  }
}

function readGates(file: string): BacktestGates {
  try {
    return parseGates(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--gates ${file}: ${(e as Error).message}`);
  }
}

/** An ISO 8601 time or epoch milliseconds. */
function parseTime(value: string, flag: string): number {
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t)) throw new UsageError(`--${flag} must be an ISO time or epoch ms, got ${JSON.stringify(value)}`);
  return t;
}
