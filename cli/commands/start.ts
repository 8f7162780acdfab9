import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../load-model.ts';
import { ProgressBar } from '../../model/progress.ts';
import type { GraphEvent } from '../../processors/graph-events.ts';
import { featureSetByHash, featureSetById, graphConfigFor } from '../../processors/graph.ts';
import type { Predictor } from '../../processors/types.ts';
import type { FeatureSetDef } from '../../processors/features/full/index.ts';
import { SyntheticMarket } from '../../sources/synthetic/synthetic-market.ts';
import { syntheticConfig } from '../../sources/synthetic/synthetic-config.ts';
import { AppendQueue, followLive, runLive, type LiveResult, type LiveStatus } from '../../hosts/live/live-runner.ts';
import { parseSource } from '../../sources/exchange/source-spec.ts';
import { FeedAppender, levelFeedWithLog, PeekableFeed } from '../../hosts/live/feed-writer.ts';
import { FileFeedStateStore } from '../../hosts/live/feed-state-file.ts';
import { LogFeedStateStore } from '../../hosts/live/feed-state-log.ts';
import { summarizeLatencies } from '../../hosts/live/latency-summary.ts';
import { ReplayProgress, replayTotal } from '../../hosts/replay/replay-progress.ts';
import { GraphCheckpointer } from '../../hosts/checkpointing.ts';
import { graphCodeVersion } from '../../hosts/code-version.ts';
import { DERIVED_TOPICS, LogSink, RecordedOutputs, toCurrentSchema } from '../../hosts/log-sink.ts';
import { CheckpointStore } from '../../storage/checkpoints/checkpoint-store.ts';
import { markProgress } from '../../hosts/group/feed-progress.ts';
import { hostEvents } from '../../hosts/host-events.ts';
import { CLOSED_WATERMARK, TOPICS, type ModelHealth } from '../../schemas/index.ts';
import { newGraphStats } from '../../processors/graph-events.ts';
import { observeGraphStats, observeSignalLatency } from '../../lib/metrics.ts';
import { checkExposure, startDashboardServer, wsFlags, type DashboardServer } from '../dashboard-server.ts';
import type { ClickHouseProjector, openClickHouse } from '../../sinks/clickhouse/index.ts';
import type { ValuesOf } from '../command-spec.ts';
import { logSource, openLogFrom, topicSize, type LogAccess } from '../log-access.ts';
import { cliLogger, horizonOf, info, printJson, progressStream, SignalLines, UsageError } from '../output.ts';
import type { START } from '../specs/start.ts';
import { requireGatedModel, resolveModelDir } from '../model-gates.ts';
import { requireModelInterval } from '../model-interval.ts';
import { isConfluenceBundle } from '../../model/confluence/bundle.ts';
import { describeFailures } from '../../model/evaluation/gates.ts';
import { DEFAULT_SIGNAL_RULE } from '../../processors/signal/signal-rule.ts';
import { acquireKafkaWriterLock, acquireWriterLock } from '../writer-lock.ts';

const DAY = 86_400_000;
/** This feed's name on the `progress` topic. */
const FEED_SOURCE = 'synthetic';

/** `tickflow start`: its arguments are checked against START (cli/specs/start.ts) before this runs. */
export async function run(values: ValuesOf<typeof START>): Promise<number> {
  const feedOnly = values['feed-only'];
  const featureSet = featureSetById(values['feature-set'], values.interval);
  const token = checkExposure(values.host, values.token);
  const speed = values.speed;
  const stopAfterMs = values['stop-after'];
  const historyDays = values['history-days'];
  // The market is one seeded, effectively endless stream: history is its first days, live is
  // its continuation. Restarting regenerates it and skips what the log already holds.
  const config = syntheticConfig({
    days: 3650,
    seed: values.seed,
    signalStrength: values['signal-strength'],
  });
  // Embedded log by default; --broker runs the same loop on Kafka (the feed appends there).
  // One writer per log: a lock file beside the embedded log, a lock group on Kafka (D90).
  const kafkaLock = values.broker ? await acquireKafkaWriterLock(values.broker, 'start') : null;
  const releaseFile = values.broker ? (): void => undefined : acquireWriterLock(values.log ?? 'var/log', 'start');
  const release = async (): Promise<void> => {
    releaseFile();
    await kafkaLock?.lock.release();
  };
  const access = await openLogFrom(values.broker ? logSource(values) : { log: values.log ?? 'var/log' }, kafkaLock ? { writer: kafkaLock.fence } : {}).catch(async (e: unknown) => {
    await release();
    throw e;
  });
  const controller = new AbortController();
  // A writer that lost the lock (frozen or cut off while another took it) stops; its appends are fenced anyway.
  kafkaLock?.lock.onLost(() => controller.abort());
  const onSignal = (): void => {
    info('\nstopping: finishing the current chunk, flushing outputs...');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let server: DashboardServer | null = null;
  try {
    const source = parseSource(values.source);
    if (source.venue !== 'synthetic') {
      server = null;
      return await runVenue(values, source.venue, source.symbols, access, controller.signal, (s) => (server = s));
    }
    // On Kafka, processors may run apart from this feed: tell them how far the inputs are complete.
    const progress = values.broker ? (t: number): Promise<void> => markProgress(access.log, access.encode, FEED_SOURCE, t) : null;
    await progress?.(-1);
    const historyEnd = config.start + historyDays * DAY;
    const bar = new ProgressBar({ label: 'history', stream: progressStream() });
    const feedEvents = hostEvents();
    feedEvents.on('history-progress', (p) => bar.update(Math.floor((p.tsInit - p.firstTsInit) / 3_600_000), Math.ceil((historyEnd - p.firstTsInit) / 3_600_000), `${p.events} events, market hours`));
    const market = new SyntheticMarket(config);
    // The generator's state saved beside the embedded log (on Kafka: on the compacted
    // `checkpoints` topic, D88), so a restart restores the market instead of regenerating it
    // from its start.
    const stateStore = values.broker
      ? new LogFeedStateStore({ log: access.log, encode: access.encode, decode: access.decode, source: FEED_SOURCE, logger: cliLogger() })
      : new FileFeedStateStore(values.log ?? 'var/log', FEED_SOURCE);
    const { feed, appender, mode } = await levelFeedWithLog({
      log: access.log,
      encode: access.encode,
      decode: access.decode,
      feed: market.stream(),
      state: { store: stateStore, resume: (s: string) => market.resume(s) },
      source: FEED_SOURCE,
      feedParams: JSON.stringify(config),
      topics: [TOPICS.trades.name, TOPICS.options.name],
      historyEnd,
      logger: cliLogger(),
      events: feedEvents,
    });
    if (mode === 'history') bar.finish();
    await progress?.(feed.nextTsInit() - 1);
    const modelDir = await resolveModelDir(values.model);
    const model = feedOnly ? null : await ensureModel(access, modelDir, values.backend, config.seed, featureSet, { allowUngated: values['allow-ungated'], holdOnly: values['hold-only'] });
    const predictor = model?.predictor ?? null;
    if (predictor !== null) requireModelInterval(predictor, values.interval, modelDir);
    if (!values['no-ws'] && !feedOnly) {
      server = await startDashboardServer({ access, source: values.broker ? logSource(values) : { log: values.log ?? 'var/log' }, port: values.port, host: values.host, token, modelDir, role: 'start', ...wsFlags(values), backtestSource: values.broker ? logSource(values) : { log: values.log ?? 'var/log' } });
    }
    // ClickHouse is a projection of the log, fed by its own consumer of the derived topics: if it
    // is slow or down, the live loop does not wait; the projector catches up from the log.
    const projection = values.clickhouse ? await startProjection(access, values.clickhouse, values.database) : null;
    // Checkpoints beside the embedded log (on Kafka not yet: a restart there replays in full).
    const checkpointDir = values.broker ? null : (values.log ?? 'var/log');
    const result = await goLive(access, feed, appender, predictor, model?.holdOnly ?? false, server, speed, stopAfterMs, controller.signal, progress, checkpointDir);
    // A clean stop: this source appends nothing more for now, so it no longer holds processors back.
    await progress?.(CLOSED_WATERMARK);
    if (projection) {
      info('clickhouse: catching up with the last outputs...');
      projection.abort.abort();
      await projection.done;
      const r = await projection.projector.catchUp();
      Object.assign(result, { clickhouse: r.topics });
      await projection.client.close();
    }
    kafkaLock?.lock.assertHeld();
    printJson(result);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server?.close();
    await access.close();
    await release();
  }
}

async function startProjection(access: LogAccess, url: string, database: string): Promise<{ projector: ClickHouseProjector; client: ReturnType<typeof openClickHouse>; abort: AbortController; done: Promise<unknown> }> {
  // Loaded only with --clickhouse: a start without it never imports the ClickHouse client.
  const { ClickHouseProjector, migrate, openClickHouse } = await import('../../sinks/clickhouse/index.ts');
  const client = openClickHouse(url);
  const m = await migrate(client, database);
  if (m.applied.length) info(`clickhouse: applied migrations ${m.applied.join(', ')}`);
  const projector = new ClickHouseProjector({ log: access.log, serde: access.serde, client, database, logger: cliLogger() });
  const abort = new AbortController();
  const done = projector.follow(abort.signal);
  info(`clickhouse: projecting derived topics into ${url} (${database})`);
  return { projector, client, abort, done };
}

/**
 * Loads the model, or trains one from the log's history first (dataset → train → save). A model
 * that failed its validation gates is refused (unless --allow-ungated, or --hold-only which goes
 * live with HOLD signals only); a freshly trained one that fails goes live with HOLD signals only.
 */
async function ensureModel(
  access: LogAccess,
  modelDir: string,
  backend: string,
  seed: number,
  featureSet: FeatureSetDef,
  gating: { allowUngated: boolean; holdOnly: boolean },
): Promise<{ predictor: Predictor; holdOnly: boolean }> {
  let holdOnly = gating.holdOnly;
  // A model directory, or a confluence bundle of several (tickflow model confluence).
  if (existsSync(join(modelDir, 'manifest.json')) || isConfluenceBundle(modelDir)) {
    await requireGatedModel(modelDir, gating.allowUngated || gating.holdOnly);
  } else {
    info(`no model in ${modelDir}: building a training set from the log and training one`);
    // The dataset writer (Parquet) and the trainer (tfjs) load only when there is no model yet:
    // a restart with a model never imports them.
    const [{ exportDataset }, { train }, { FoldWorker }] = await Promise.all([import('../../research/dataset.ts'), import('../../model/train.ts'), import('../../model/fold-helper.ts')]);
    // A second thread for the out-of-fold fits of `auto` (the same predictions, bit for bit):
    // started now, it loads the model lab and tfjs while this thread builds the training set.
    // With one core it would only add its module loading (about 1.2 CPU-s): not started then.
    const foldWorker = availableParallelism() > 1 ? new FoldWorker() : null;
    let r: Awaited<ReturnType<typeof train>>;
    try {
      const datasetPath = join(modelDir, '..', 'training-set.csv');
      const total = (await topicSize(access.log, 'trades')) + (await topicSize(access.log, 'options'));
      const bar = new ProgressBar({ label: 'dataset', stream: progressStream() });
      const ds = await exportDataset({ log: access.log, decode: access.decode, out: datasetPath, featureSet, onProgress: (n) => bar.update(n, total) });
      bar.finish();
      info(`training set: ${ds.rows} rows (sha256 ${ds.sha256.slice(0, 12)}…)`);
      const tbar = new ProgressBar({ label: 'train', stream: progressStream() });
      r = await train({
        datasetPath,
        outDir: modelDir,
        seed,
        family: 'auto',
        onFamily: (f) => info(`fitting ${f}`),
        ...(foldWorker ? { foldWorker } : {}),
        backend: backend as 'wasm' | 'cpu' | 'tensorflow',
        logger: cliLogger(),
        onProgress: (p) => tbar.update(p.epoch * p.batches + p.batch, p.epochs * p.batches, `epoch ${p.epoch + 1}/${p.epochs}`),
      });
      tbar.finish();
    } finally {
      await foldWorker?.close();
    }
    const m = r.metrics;
    const b = r.baseline;
    info(`model ${r.modelId} (${r.family}): test accuracy ${m.accuracy.toFixed(3)} (majority baseline ${b.accuracy.toFixed(3)}), macro AUC ${m.macroAuc?.toFixed(3)} (baseline ${b.macroAuc?.toFixed(3)})`);
    const gates = r.evaluation.gates;
    if (!gates.passed && !gating.allowUngated) {
      holdOnly = true;
      info(`the model just trained FAILED its validation gates: ${describeFailures(gates)}.`);
      info('It has no demonstrated edge, so tickflow goes live with HOLD signals only (no BUY/SELL). Next runs: --hold-only keeps that, --allow-ungated trades it anyway; or delete the model and retrain on more history.');
    }
  }
  if (holdOnly) info('signals: HOLD only');
  return { predictor: await loadModel(modelDir), holdOnly };
}

async function goLive(
  access: LogAccess,
  feed: PeekableFeed,
  appender: FeedAppender,
  predictor: Predictor | null,
  holdOnly: boolean,
  server: DashboardServer | null,
  speed: number,
  stopAfterMs: number | undefined,
  signal: AbortSignal,
  progress: ((t: number) => Promise<void>) | null,
  checkpointDir: string | null,
  follow: AppendQueue | null = null,
): Promise<Record<string, unknown>> {
  const status: LiveStatus = { live: false, chunkAppendedAtWall: 0 };
  const logSink = new LogSink(access.log, { encode: access.encode }, await RecordedOutputs.read(access.log, DERIVED_TOPICS, toCurrentSchema(access.encode, access.decode)));
  // One graph config for the graph and its checkpoints (a HOLD-only rule is part of the identity).
  const graphConfig = predictor ? graphConfigFor(featureSetByHash(predictor.featureSetHash), { ...DEFAULT_SIGNAL_RULE, holdOnly }) : null;
  const checkpoints = predictor && graphConfig && checkpointDir !== null
    ? new GraphCheckpointer({ store: new CheckpointStore(checkpointDir), codeVersion: graphCodeVersion(), config: graphConfig, predictor, sink: logSink, logger: cliLogger().child({ component: 'checkpoints' }) })
    : null;
  const lags: number[] = [];
  const stats = newGraphStats();
  observeGraphStats(stats);
  let liveSignals = 0;
  const lines = new SignalLines(horizonOf(predictor));
  const health = new HealthSummary();
  const publish = {
    onEvent(e: GraphEvent): void {
      if (e.kind === 'health') {
        const first = health.add(e.health);
        if (first) info(`model health ${e.health.symbol}: retrain recommended (${e.health.priority ?? ''}): ${e.health.reason ?? ''}`);
        return;
      }
      if (!status.live) return;
      if (e.kind === 'signal') {
        const s = e.signal;
        const lag = performance.now() - status.chunkAppendedAtWall;
        lags.push(lag);
        observeSignalLatency(lag);
        liveSignals++;
        server?.publish('signals', s.symbol, s);
        cliLogger().info({ event: 'signal', symbol: s.symbol, action: s.action, barEnd: s.barEnd, lagMs: +lag.toFixed(1) }, `${lines.format(s, Date.now())}  ${lag.toFixed(1)} ms after its input was logged`);
      } else if (e.kind === 'bar') {
        lines.bar(e.bar);
        server?.publish('bars', e.bar.symbol, e.bar);
      }
    },
  };
  // The catch-up is a replay of what the log holds after the checkpoint restored (all of it
  // without one): progress on stderr every 5 s while it runs, never a silent pause.
  const logInputs = await replayTotal(access.log);
  let catchUp: ReplayProgress | null = null;
  const events = hostEvents();
  events.on('catch-up-progress', ({ inputs }) => {
    if (inputs === 0) catchUp = new ReplayProgress({ logger: cliLogger(), label: 'catch-up', total: logInputs - (checkpoints?.resumedFrom ?? 0) });
    else catchUp?.update(inputs);
  });
  events.on('caught-up', ({ inputs }) => {
    if (inputs > 0) catchUp?.finish(inputs);
    cliLogger().info({ event: 'caught-up', inputs }, predictor ? `caught up on ${inputs} logged inputs` : 'feed only: inputs and progress go to the log; `tickflow run processors` processes them');
  });
  let r: LiveResult;
  if (follow !== null) {
    if (predictor === null || graphConfig === null) throw new Error('following a venue needs a model');
    info(`live on the venue's feed${stopAfterMs ? `, stopping after ${stopAfterMs / 3_600_000} hours` : '; Ctrl-C stops'}`);
    r = await followLive({ log: access.log, decode: access.decode, predictor, sinks: [logSink, publish], afterChunk: () => logSink.flush(), status, stats, config: graphConfig, ...(checkpoints ? { checkpoints } : {}), events, now: Date.now }, follow);
  } else {
  info(`live at speed ${speed} (market seconds per wall second)${stopAfterMs ? `, stopping after ${stopAfterMs / 3_600_000} market hours` : '; Ctrl-C stops'}`);
  r = await runLive({
    log: access.log,
    encode: access.encode,
    decode: access.decode,
    feed,
    appender,
    predictor,
    sinks: [logSink, publish],
    afterChunk: () => logSink.flush(),
    speed,
    ...(stopAfterMs !== undefined ? { stopAfterMs } : {}),
    signal,
    status,
    stats,
    ...(graphConfig ? { config: graphConfig } : { process: false }),
    ...(progress ? { onAppended: progress } : {}),
    ...(checkpoints ? { checkpoints } : {}),
    events,
  });
  }
  await logSink.flush();
  return {
    marketStart: r.liveStart,
    marketEnd: r.liveEnd,
    inputs: r.stats.inputs,
    appendedInputs: r.appendedInputs,
    signals: r.stats.signals,
    liveSignals,
    late: r.stats.late,
    deadLetters: r.stats.deadLetters,
    signalLatencyMs: summarizeLatencies(lags),
    modelHealth: health.summary(),
  };
}

/**
 * `start`'s summary of the model-health reports (processors/health): how many, the latest per
 * symbol, and the first retrain recommendation per symbol (a line on stderr when it appears).
 */
export class HealthSummary {
  private reports = 0;
  private readonly latest = new Map<string, ModelHealth>();
  private readonly recommended = new Map<string, ModelHealth>();

  /** True when this report is the symbol's first retrain recommendation. */
  add(h: ModelHealth): boolean {
    this.reports++;
    this.latest.set(h.symbol, h);
    if (!h.retrain || this.recommended.has(h.symbol)) return false;
    this.recommended.set(h.symbol, h);
    return true;
  }

  summary(): Record<string, unknown> {
    const pick = (h: ModelHealth): Record<string, unknown> => ({
      barEnd: h.tsEvent,
      psiMax: h.psiMax,
      psiFeature: h.psiFeature,
      matured: h.matured,
      hitRate: h.hitRate,
      expectedHitRate: h.expectedHitRateLo === null || h.expectedHitRateHi === null ? null : [h.expectedHitRateLo, h.expectedHitRateHi],
      calibrationGap: h.calibrationGap,
      retrain: h.retrain,
      priority: h.priority,
      reason: h.reason,
    });
    const bySymbol = (m: Map<string, ModelHealth>): Record<string, unknown> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, h]) => [s, pick(h)]));
    return { reports: this.reports, latest: bySymbol(this.latest), retrainRecommended: bySymbol(this.recommended) };
  }
}

/**
 * `start --source binance:...` / `--source nse:...`: the venue's trades (sources/exchange/ccxt-trade-feed.ts)
 * or option chains (sources/exchange/nse-chain-feed.ts) are appended to the log as they arrive and
 * the log is processed after each append (followLive). There is no history to train on here, so a
 * model must exist (or --feed-only, which only records).
 */
async function runVenue(values: ValuesOf<typeof START>, venue: 'binance' | 'nse', symbols: string[], access: LogAccess, signal: AbortSignal, onServer: (s: DashboardServer) => void): Promise<number> {
  const feedOnly = values['feed-only'];
  const modelDir = await resolveModelDir(values.model);
  let predictor: Predictor | null = null;
  if (!feedOnly) {
    if (!existsSync(join(modelDir, 'manifest.json'))) throw new UsageError(`--source ${values.source}: no model in ${modelDir}; a venue feed brings no history to train on: train one first (tickflow train) and pass --model, or record only with --broker <b> --feed-only`);
    await requireGatedModel(modelDir, values['allow-ungated'] || values['hold-only']);
    predictor = await loadModel(modelDir);
    requireModelInterval(predictor, values.interval, modelDir);
  }
  // The feed's name on the `feed-positions` and `progress` topics is the venue's.
  const progress = values.broker ? (t: number): Promise<void> => markProgress(access.log, access.encode, venue, t) : null;
  const queue = new AppendQueue();
  const onAppended = async (bound: number): Promise<void> => {
    await progress?.(bound);
    queue.push(bound);
  };
  const logger = cliLogger().child({ component: 'feed' });
  let feed: { resume(): Promise<unknown>; run(signal: AbortSignal): Promise<object> };
  if (venue === 'nse') {
    const { NseChainFeed } = await import('../../sources/exchange/nse-chain-feed.ts');
    const { CALENDARS } = await import('../../processors/calendar/index.ts');
    feed = new NseChainFeed({
      symbols,
      log: access.log,
      encode: access.encode,
      decode: access.decode,
      ...(values['venue-rest'] ? { baseUrl: values['venue-rest'] } : {}),
      source: venue,
      pollMs: values['poll-seconds'] * 1000,
      staleAfterPolls: values['stale-polls'],
      maxAgeMs: values['max-age'],
      calendar: CALENDARS[values.calendar ?? 'nse'],
      logger,
      onAppended: (_s, bound) => onAppended(bound),
    });
  } else {
    const { binanceExchange, CcxtTradeFeed } = await import('../../sources/exchange/ccxt-trade-feed.ts');
    feed = new CcxtTradeFeed({
      exchange: binanceExchange({ ...(values['venue-rest'] ? { restUrl: values['venue-rest'] } : {}), ...(values['venue-ws'] ? { wsUrl: values['venue-ws'] } : {}) }),
      symbols,
      log: access.log,
      encode: access.encode,
      decode: access.decode,
      source: venue,
      stallMs: values['stall-seconds'] * 1000,
      logger,
      onAppended: (_trades, bound) => onAppended(bound),
    });
  }
  await feed.resume();
  const stopAfterMs = values['stop-after'];
  const stop = stopAfterMs === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(stopAfterMs)]);
  const feedDone = feed.run(stop).finally(() => queue.end());
  let result: Record<string, unknown> = {};
  if (predictor !== null) {
    let server: DashboardServer | null = null;
    if (!values['no-ws']) onServer((server = await startDashboardServer({ access, source: values.broker ? logSource(values) : { log: values.log ?? 'var/log' }, port: values.port, host: values.host, token: checkExposure(values.host, values.token), modelDir, role: 'start', ...wsFlags(values), backtestSource: values.broker ? logSource(values) : { log: values.log ?? 'var/log' } })));
    result = await goLive(access, new PeekableFeed([][Symbol.iterator]()), new FeedAppender(access.log, access.encode), predictor, values['hold-only'], server, 1, stopAfterMs, stop, null, values.broker ? null : (values.log ?? 'var/log'), queue);
  }
  const feedStats = await feedDone;
  await progress?.(CLOSED_WATERMARK);
  printJson({ source: values.source, ...result, feed: feedStats });
  // ccxt can leave stream sockets of closed connections open (seen after watchdog reconnects):
  // once everything is flushed and printed, they must not keep the process alive.
  setTimeout(() => process.exit(), 2000).unref();
  return 0;
}
