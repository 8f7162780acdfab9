import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetMetaPath } from '../../model/dataset.ts';
import { isConfluenceBundle, readBundle, type ConfluenceBundle } from '../../model/confluence/bundle.ts';
import { readManifest } from '../../model/manifest.ts';
import { manifestFamily } from '../../model/onnx/onnx-manifest.ts';
import { ProgressBar } from '../../model/progress.ts';
import { canonicalJson, DEFAULT_GATES, renderTearSheet, resolveBacktestConfig, evaluateGates, parseGates, parseTrialsLedger, reportSha256, type BacktestGates, type BacktestReport, type GateVerdict, type TrialStats } from '../../research/backtest/index.ts';
import { replayBacktest } from '../../research/backtest-replay.ts';
import { exportDataset } from '../../research/dataset.ts';
import { parseDatasetLabel } from '../../model/label-rule.ts';
import { featureSetById } from '../../processors/graph.ts';
import { DEFAULT_LABEL_CONFIG } from '../../processors/labels.ts';
import { CLASSES } from '../../processors/types.ts';
import type { ValuesOf } from '../command-spec.ts';
import { loadModel } from '../load-model.ts';
import { requireGatedModel } from '../model-gates.ts';
import { requireModelInterval } from '../model-interval.ts';
import { logSource, openLogFrom, topicSize, type LogAccess } from '../log-access.ts';
import { info, printJson, progressStream, UsageError } from '../output.ts';
import type { REPLAY_BACKTEST, REPLAY_CONFLUENCE, REPLAY_DATASET, REPLAY_WALK_FORWARD } from '../specs/replay.ts';
import { confluenceEvalCommand } from './confluence.ts';

/** `tickflow replay dataset|backtest|walk-forward|confluence`. */
export function run(values: ValuesOf<typeof REPLAY_DATASET> | ValuesOf<typeof REPLAY_BACKTEST> | ValuesOf<typeof REPLAY_WALK_FORWARD> | ValuesOf<typeof REPLAY_CONFLUENCE>, sub: string): Promise<number> {
  if (sub === 'walk-forward') return walkForwardCommand(values as ValuesOf<typeof REPLAY_WALK_FORWARD>);
  if (sub === 'confluence') return confluenceEvalCommand(values as ValuesOf<typeof REPLAY_CONFLUENCE>);
  return sub === 'dataset' ? dataset(values as ValuesOf<typeof REPLAY_DATASET>) : backtest(values as ValuesOf<typeof REPLAY_BACKTEST>);
}

async function walkForwardCommand(values: ValuesOf<typeof REPLAY_WALK_FORWARD>): Promise<number> {
  const gates = values.gates !== undefined ? readGates(values.gates) : { ...DEFAULT_GATES };
  const config = { feeBps: values['fee-bps'], slippageBps: values['slippage-bps'], calendar: values.calendar, randomDraws: values.draws, seed: values['random-seed'], portfolio: values.portfolio };
  const trials = values.trials !== undefined ? readTrials(values.trials) : null;
  try {
    resolveBacktestConfig(config);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\s*\n\s*/g, ' '), { cause: e });
  }
  const dir = values.out ?? mkdtempSync(join(tmpdir(), 'tickflow-walk-forward-'));
  // Loaded here: walk-forward trains models (tfjs and the model lab), which dataset and backtest
  // runs do not need; importing them costs a process ~1 CPU-s.
  const { walkForward, WalkForwardError } = await import('../../research/walk-forward.ts');
  const access = await openLogFrom(logSource(values), { readOnly: true });
  try {
    let result;
    try {
      result = await walkForward({
        log: access.log,
        decode: access.decode,
        dir,
        trainDays: values['train-days'],
        testDays: values['test-days'],
        family: values.family,
        featureSet: featureSetById(values['feature-set']),
        seed: values.seed,
        config,
        policy: { feeBps: values['fee-bps'], slippageBps: values['slippage-bps'] },
        policyMove: values['policy-move'],
        trials,
        onStep: (m) => info(`walk-forward: ${m}`),
      });
    } catch (e) {
      if (e instanceof WalkForwardError) throw new UsageError(`replay walk-forward: ${e.message}`, { cause: e });
      throw e;
    }
    const { report, windows } = result;
    const sha256 = reportSha256(report);
    const verdict = evaluateGates(report.metrics, gates);
    if (values.out !== undefined) {
      writeFileSync(join(dir, 'report.json'), `${canonicalJson({ config, trainDays: values['train-days'], testDays: values['test-days'], family: values.family, seed: values.seed, windows, ...report, gates: { ...verdict, thresholds: gates, enforced: values.gates !== undefined }, sha256 })}\n`);
      writeFileSync(join(dir, 'report.html'), renderTearSheet(report, { model: { modelId: `walk-forward (${windows.length} windows: ${windows.map((w) => w.modelId).join(', ')})` }, gates: verdict, sha256 }));
    }
    info(gateLine(verdict, values.gates !== undefined));
    printJson({ ...backtestSummary(report, verdict), windows, sha256 });
    return values.gates !== undefined && !verdict.passed ? 1 : 0;
  } finally {
    await access.close();
    if (values.out === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

async function progressFor(log: LogAccess['log'], label: string): Promise<{ bar: ProgressBar; total: number }> {
  const total = (await topicSize(log, 'trades')) + (await topicSize(log, 'options')) + (await topicSize(log, 'candles'));
  return { bar: new ProgressBar({ label: label, stream: progressStream() }), total };
}

async function dataset(values: ValuesOf<typeof REPLAY_DATASET>): Promise<number> {
  const featureSet = featureSetById(values['feature-set'], values.interval);
  const { out } = values;
  const access = await openLogFrom(logSource(values), { readOnly: true });
  try {
    const { bar, total } = await progressFor(access.log, 'replay dataset');
    const removeOut = (): void => {
      rmSync(out, { force: true });
      rmSync(datasetMetaPath(out), { force: true });
    };
    const label = parseDatasetLabel(values.label);
    const tripleBarrier = label.kind === 'triple-barrier' ? { tripleBarrier: label.config } : {};
    const r = await exportDataset({ log: access.log, decode: access.decode, out, featureSet, ...tripleBarrier, onProgress: (n) => bar.update(n, total) }).catch((e: unknown) => {
      removeOut(); // e.g. candles coarser than --interval: no half-written dataset is left behind
      throw e;
    });
    bar.finish();
    if (r.rows === 0) {
      // An empty training set is never what was asked for: say why instead of writing a header.
      removeOut();
      const why = total === 0
        ? 'the log holds no trades, candles or option chains'
        : r.unlabeled === 0
          ? `${total} inputs gave no ${featureSet.signalInterval} feature rows (no ${featureSet.signalInterval} bar closed)`
          : `${total} inputs gave ${r.unlabeled} ${featureSet.signalInterval} feature rows, none labelled (a row needs a bar ${DEFAULT_LABEL_CONFIG.horizonBars} x ${featureSet.signalInterval} later: the log is too short or has gaps)`;
      throw new UsageError(`replay dataset: 0 rows from ${values.log ?? values.broker ?? ''}: ${why}; nothing written`);
    }
    info(`rows ${r.rows}, unlabeled ${r.unlabeled} (horizon beyond the log's end or a missing bar)`);
    if (r.barrier !== undefined) info(`triple barrier: up ${r.barrier.up}, down ${r.barrier.down}, time limit ${r.barrier.timeout}, no σ yet ${r.barrier.noVolatility}`);
    printJson({ rows: r.rows, sha256: r.sha256, file: r.file, ...(r.barrier === undefined ? {} : { barrier: r.barrier }) });
    return 0;
  } finally {
    await access.close();
  }
}

async function backtest(values: ValuesOf<typeof REPLAY_BACKTEST>): Promise<number> {
  const logDir = values.log ?? `kafka:${values.broker ?? ''}`;
  const outDir = values.out;
  const trials = values.trials !== undefined ? readTrials(values.trials) : null;
  const gates = values.gates !== undefined ? readGates(values.gates) : { ...DEFAULT_GATES };
  const config = {
    feeBps: values['fee-bps'],
    slippageBps: values['slippage-bps'],
    slippageRange: values['slippage-range'],
    stopPct: values['stop-pct'] ?? null,
    targetPct: values['target-pct'] ?? null,
    stopAtr: values['stop-atr'] ?? null,
    targetAtr: values['target-atr'] ?? null,
    seed: values.seed,
    randomDraws: values.draws,
    calendar: values.calendar,
    portfolio: values.portfolio,
  };
  try {
    resolveBacktestConfig(config); // reject bad values before a long replay
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\s*\n\s*/g, ' '), { cause: e });
  }
  await requireGatedModel(values.model, values['allow-ungated']);
  const predictor = await loadModel(values.model);
  requireModelInterval(predictor, values.interval, values.model);
  const access = await openLogFrom(logSource(values), { readOnly: true });
  try {
    const { bar, total } = await progressFor(access.log, 'replay backtest');
    // The model's own training and early-stopping period is in-sample: trading it flatters the
    // model. --out-of-sample starts after it (plus the label horizon); otherwise it is counted.
    // An imported ONNX model (trained elsewhere) has no split or test metrics: no in-sample check, no confusion matrix.
    // A confluence bundle: in sample while any timeframe's model is (from the first training bar of
    // any member to the last validation bar, plus its horizon, of any member).
    const bundle = isConfluenceBundle(values.model) ? await readBundle(values.model) : null;
    const manifest = bundle !== null || (await manifestFamily(values.model)) === 'onnx' ? null : await readManifest(values.model);
    let fitEnd = manifest === null ? -Infinity : manifest.split.validation.lastBarEnd + manifest.split.horizonMs;
    let fitStart = manifest === null ? -Infinity : manifest.split.train.firstBarEnd;
    if (bundle !== null) [fitStart, fitEnd] = await bundleFitPeriod(values.model, bundle);
    const from = values['out-of-sample'] ? Math.max(fitEnd, values.from ?? -Infinity) : values.from;
    const to = values.to;
    const { report, signals } = await replayBacktest({ log: access.log, decode: access.decode, predictor, config, trials, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), onProgress: (n) => bar.update(n, total) });
    bar.finish();
    if (signals.length === 0) {
      const range = from !== undefined || to !== undefined ? ` in [${from !== undefined ? new Date(from).toISOString() : 'start'}, ${to !== undefined ? new Date(to).toISOString() : 'end'})` : '';
      throw new UsageError(`replay backtest: the model gave no signals${range} (${total === 0 ? 'the log holds no inputs' : `${total} inputs replayed`}); nothing to backtest`);
    }
    const sha256 = reportSha256(report);
    const verdict = evaluateGates(report.metrics, gates);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'report.json'), `${canonicalJson({ modelId: predictor.modelId, config, ...report, gates: { ...verdict, thresholds: gates, enforced: values.gates !== undefined }, sha256 })}\n`);
    const model = { modelId: predictor.modelId, ...(manifest === null ? {} : { confusion: manifest.metrics.confusion }), ...(manifest?.confidenceBands === undefined ? {} : { confidenceBands: manifest.confidenceBands }), ...(manifest?.heads?.test.regression === undefined ? {} : { regression: manifest.heads.test.regression }), classes: CLASSES };
    writeFileSync(join(outDir, 'report.html'), renderTearSheet(report, { model, gates: verdict, sha256 }));
    let runId: string | undefined;
    if (values.clickhouse) {
      const { migrate, openClickHouse, storeBacktestRun } = await import('../../sinks/clickhouse/index.ts');
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
    portfolio: report.portfolio,
    trades: m.trades,
    skippedOrders: report.skippedOrders.length,
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
    deflatedSharpeBasis: m.deflatedSharpeBasis,
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

/** The span in which some member of a confluence bundle saw its training or validation data. */
async function bundleFitPeriod(dir: string, bundle: ConfluenceBundle): Promise<[number, number]> {
  let start = Infinity;
  let end = -Infinity;
  for (const m of bundle.members) {
    const memberDir = join(dir, m.dir);
    if ((await manifestFamily(memberDir)) === 'onnx') continue; // trained elsewhere: no split known
    const mf = await readManifest(memberDir);
    start = Math.min(start, mf.split.train.firstBarEnd);
    end = Math.max(end, mf.split.validation.lastBarEnd + mf.split.horizonMs);
  }
  return start > end ? [-Infinity, -Infinity] : [start, end];
}
