import { createReadStream, createWriteStream, existsSync, copyFileSync, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Subject } from 'rxjs';
import type { Bar, Signal } from '../schemas/index.ts';
import type { PolicyOptions } from '../processors/decision/fit-policy.ts';
import type { FeatureSetDef } from '../processors/features/full/index.ts';
import { graphConfigFor } from '../processors/graph.ts';
import { newGraphStats, type Flow, type GraphEvent } from '../processors/graph-events.ts';
import { DEFAULT_LABEL_CONFIG } from '../processors/labels.ts';
import { infer } from '../processors/operators/infer.ts';
import type { Predictor } from '../processors/types.ts';
import { DEFAULT_SIGNAL_RULE } from '../processors/signal/signal-rule.ts';
import { datasetMetaPath } from '../model/dataset.ts';
import type { FamilyChoice } from '../model/family.ts';
import { loadPredictor } from '../model/predictor.ts';
import { train } from '../model/train.ts';
import type { EventLog } from '../storage/log/event-log.ts';
import type { TopicDecoder } from '../hosts/merged-reader.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { runBacktest, type BacktestConfig, type BacktestReport, type TrialStats } from './backtest/index.ts';
import { exportDataset } from './dataset.ts';

const DAY = 86_400_000;

export interface WalkForwardOptions {
  log: EventLog;
  decode: TopicDecoder;
  /** Working directory: dataset.csv and windows/<k>/{train.csv,model}. */
  dir: string;
  trainDays: number;
  testDays: number;
  family: FamilyChoice;
  featureSet: FeatureSetDef;
  seed: number;
  config: Partial<BacktestConfig>;
  policy?: Partial<PolicyOptions>;
  /** The expected move each window's policy is fitted on (train's policyMove; default 'head'). */
  policyMove?: 'head' | 'classes';
  /** The tune ledger's trials behind the family and settings, for the deflated Sharpe; null = unknown. */
  trials?: TrialStats | null;
  onStep?: (message: string) => void;
}

export interface WalkForwardWindow {
  index: number;
  /** Training rows: barEnd in [trainFrom, trainTo), purged of rows whose label reaches testFrom. */
  trainFrom: number;
  trainTo: number;
  /** Signals with barEnd in [testFrom, testTo) are traded, by this window's model only. */
  testFrom: number;
  testTo: number;
  trainRows: number;
  modelId: string;
  family: string;
  /** The policy fitted on the window's validation split: threshold (null = holds) and validation trades. */
  minNetEdge: number | null;
  validationTrades: number;
  signals: number;
  /** Of those, the signals that name an option contract (an underlying with chains). */
  contracts: number;
  trades: number;
  totalReturn: number;
  sharpe: number;
}

export interface WalkForwardResult {
  /** The stitched out-of-sample backtest: every window's signals, one continuous portfolio. */
  report: BacktestReport;
  windows: WalkForwardWindow[];
  /** The out-of-sample signals backtested, window after window in time order (HOLDs included). */
  signals: Signal[];
}

/**
 * Walk-forward: the log is replayed once into a dataset, once into bars (the windows' span) and,
 * after training, once more to score. Rolling windows: train on `trainDays` of dataset rows
 * (purged: a row is kept only if its label's horizon ends before the test window starts), fit the
 * model and its decision policy with the model lab's own train(); then the scoring replay feeds
 * the next `testDays` of feature vectors, each with the option chain joined at its bar end, to
 * that model through the graph's own infer operator, so a signal names the contract a replay of
 * the window's model names for the same bar. The windows step by testDays until the data ends; their
 * signals are backtested together over [first test start, last test end): the stitched
 * out-of-sample equity. Deterministic for a deterministic family (the same log, options and seed
 * give the same models, signals and report).
 */
export async function walkForward(opts: WalkForwardOptions): Promise<WalkForwardResult> {
  const say = opts.onStep ?? ((): void => {});
  mkdirSync(opts.dir, { recursive: true });
  const datasetPath = join(opts.dir, 'dataset.csv');
  say('replaying the log into a dataset');
  const ds = await exportDataset({ log: opts.log, decode: opts.decode, out: datasetPath, featureSet: opts.featureSet });
  if (ds.firstBarEnd === null || ds.lastBarEnd === null) throw new WalkForwardError('the log gives no labelled rows');

  say('replaying the log into bars');
  const interval = '5m';
  const bars: Bar[] = [];
  const barSink = {
    onEvent(e: GraphEvent): void {
      if (e.kind === 'bar' && e.bar.interval === interval) bars.push(e.bar);
    },
  };
  await replayLog({ log: opts.log, decode: opts.decode, sinks: [barSink], config: graphConfigFor(opts.featureSet) });

  const horizonMs = DEFAULT_LABEL_CONFIG.horizonBars * 300_000;
  const lastEnd = bars.reduce((m, b) => Math.max(m, b.end), -Infinity);
  const t0 = ds.firstBarEnd;
  /** Each window's span and model, trained before any window is scored. */
  const plans: { index: number; trainFrom: number; testFrom: number; testTo: number; trainRows: number; seenFrom: number; r: Awaited<ReturnType<typeof train>>; predictor: Predictor; in$: Subject<Flow>; signals: Signal[] }[] = [];
  for (let k = 0; ; k++) {
    const trainFrom = t0 + k * opts.testDays * DAY;
    const testFrom = trainFrom + opts.trainDays * DAY;
    // The last bar's signal can never be traded (no later open): a window needs more than that.
    if (testFrom >= lastEnd) break;
    const testTo = Math.min(testFrom + opts.testDays * DAY, lastEnd);
    const wdir = join(opts.dir, 'windows', String(k));
    mkdirSync(wdir, { recursive: true });
    const trainCsv = join(wdir, 'train.csv');
    const trainRows = await subsetDataset(datasetPath, trainCsv, (t) => t >= trainFrom && t + horizonMs < testFrom);
    say(`window ${k}: training on ${trainRows} rows (${iso(trainFrom)} .. ${iso(testFrom)}), testing ${iso(testFrom)} .. ${iso(testTo)}`);
    const modelDir = join(wdir, 'model');
    const r = await train({ datasetPath: trainCsv, outDir: modelDir, seed: opts.seed, family: opts.family, ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.policyMove ? { policyMove: opts.policyMove } : {}) });
    const predictor = await loadPredictor(modelDir);
    // A sequence model (window > 1) scores each symbol's last vectors: it sees the vectors before
    // the test window too, as live would have, and only the test window's signals are kept.
    const seenFrom = predictor.window > 1 ? -Infinity : testFrom;
    const plan = { index: k, trainFrom, testFrom, testTo, trainRows, seenFrom, r, predictor, in$: new Subject<Flow>(), signals: [] as Signal[] };
    // The graph's own infer operator, fed the window's bars and vectors in graph order.
    plan.in$.pipe(infer(predictor, DEFAULT_SIGNAL_RULE, newGraphStats())).subscribe((e) => {
      if (e.kind === 'signal' && e.signal.barEnd >= testFrom) plan.signals.push(e.signal);
    });
    plans.push(plan);
    if (testTo >= lastEnd) break;
  }
  if (plans.length === 0) {
    throw new WalkForwardError(`the data (${iso(t0)} .. ${iso(lastEnd)}) is shorter than one training window of ${opts.trainDays} days plus a test window`);
  }

  // Scoring: a second replay whose feature vectors keep the option chain joined at their bar end
  // (keepChains), so infer names the contract exactly as a replay of the window's model would.
  // Each vector goes straight to the windows that score it and its chain is not kept after that:
  // memory holds the bars and the signals, never the chains or the vectors.
  say('replaying the log into feature vectors and scoring each test window');
  const scoreSink = {
    onEvent(e: GraphEvent): void {
      const t = e.kind === 'bar' && e.bar.interval === interval ? e.bar.end : e.kind === 'features' && e.vector.interval === interval ? e.vector.barEnd : null;
      if (t === null) return;
      for (const p of plans) if (t >= p.seenFrom && t < p.testTo) p.in$.next(e);
    },
  };
  await replayLog({ log: opts.log, decode: opts.decode, sinks: [scoreSink], config: graphConfigFor(opts.featureSet), keepChains: true });

  const windows: WalkForwardWindow[] = [];
  const signals: Signal[] = [];
  for (const p of plans) {
    p.in$.complete();
    const ws = p.signals;
    signals.push(...ws);
    const own = runBacktest({ bars, signals: ws, window: { from: p.testFrom, to: p.testTo }, config: { ...opts.config, randomDraws: 0 } });
    windows.push({
      index: p.index,
      trainFrom: p.trainFrom,
      trainTo: p.testFrom,
      testFrom: p.testFrom,
      testTo: p.testTo,
      trainRows: p.trainRows,
      modelId: p.r.modelId,
      family: p.r.family,
      minNetEdge: p.r.manifest.policy?.minNetEdge ?? null,
      validationTrades: p.r.policyFit.trades,
      signals: ws.filter((s) => s.action !== 'HOLD').length,
      contracts: ws.filter((s) => s.contract !== undefined && s.contract !== null).length,
      trades: own.metrics.trades,
      totalReturn: own.metrics.totalReturn,
      sharpe: own.metrics.sharpe,
    });
  }
  const first = windows[0] as WalkForwardWindow;
  const last = windows[windows.length - 1] as WalkForwardWindow;
  const report = runBacktest({ bars, signals, window: { from: first.testFrom, to: last.testTo }, config: opts.config, trials: opts.trials ?? null });
  return { report, windows, signals };
}

export class WalkForwardError extends Error {
  override readonly name = 'WalkForwardError';
}

const iso = (t: number): string => new Date(t).toISOString().slice(0, 16);

/** Copies the header (and the metadata sidecar) and the rows whose barEnd passes `keep`. */
async function subsetDataset(src: string, dst: string, keep: (barEnd: number) => boolean): Promise<number> {
  if (existsSync(datasetMetaPath(src))) copyFileSync(datasetMetaPath(src), datasetMetaPath(dst));
  const out = createWriteStream(dst);
  let rows = 0;
  let header = true;
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Infinity })) {
    let write = header || line.startsWith('#');
    if (!write && line !== '') {
      const a = line.indexOf(',');
      const t = Number(line.slice(a + 1, line.indexOf(',', a + 1)));
      write = keep(t);
      if (write) rows++;
    }
    if (!line.startsWith('#')) header = false;
    if (write && !out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}
