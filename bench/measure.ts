// One measurement in its own process, so peak RSS is the measurement's alone.
// usage: node --import tsx bench/measure.ts <mode> <logDir> [<modelDir>]
//   read-raw       lmdb reads only (256-record batches), no decode
//   read           lmdb reads + decode of every trades and options record (the reference rate)
//   merge          the merged reader (reads, decode, merge order), inputs dropped
//   bars           merged reader -> validation -> 1m/5m bars
//   features       ... -> core features with the as-of chain join (no model)
//   pipeline       the replay host through the whole graph to signals (model + decision rule);
//                  also reports the time spent inside the model's predict() (modelSeconds). The
//                  replay reads on its own thread (replayLog's default for a log this size, D169)
//   pipeline-one-thread  the same with the reader in the graph's thread (readerThread 'off'): the
//                  prefix the per-stage CPU breakdown subtracts from
//   features-full  the replay host to feature vectors with the 67-feature full set (no model)
// READER_BOOT=tsx: the reader thread loads its modules through tsx, not bundled (D175's before).
// Each prefix stage composes the same operators buildGraph does (processors/graph.ts), in its order.
import type { Observable } from 'rxjs';
import { PushSource } from '../processors/push-source.ts';
import { loadPredictor } from '../model/predictor.ts';
import { FULL_FEATURE_SET } from '../processors/features/full/index.ts';
import { DEFAULT_GRAPH_CONFIG, graphConfigFor } from '../processors/graph.ts';
import { newGraphStats, type Flow, type GraphEvent } from '../processors/graph-events.ts';
import { buildBars } from '../processors/operators/build-bars.ts';
import { computeFeatures } from '../processors/operators/compute-features.ts';
import { validateInputs } from '../processors/operators/validate-inputs.ts';
import type { InputEvent, Predictor } from '../processors/types.ts';
import { INPUT_TOPICS, MergedReader } from '../hosts/merged-reader.ts';
import { newHandoffWaits } from '../hosts/replay/input-handoff.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { openLog, topicSize } from '../cli/log-access.ts';

const MODES = ['read-raw', 'read', 'merge', 'bars', 'features', 'pipeline', 'pipeline-one-thread', 'features-full'] as const;
type Mode = (typeof MODES)[number];
const [modeArg, logDir, modelDir] = process.argv.slice(2);
if (!logDir || !MODES.includes(modeArg as Mode)) throw new Error(`usage: measure.ts ${MODES.join('|')} <logDir> [<modelDir>]`);
const mode = modeArg as Mode;
const access = await openLog(logDir);
const totalInputs = (await topicSize(access.log, 'trades')) + (await topicSize(access.log, 'options'));
const rssSamples: { progress: number; rssMb: number; heapMb: number }[] = [];
let nextSample = 0.1;
const sample = (done: number): void => {
  while (done / totalInputs >= nextSample - 1e-9) {
    // With --expose-gc (the memory run), collect first so the figure is the live heap, not garbage.
    (globalThis as { gc?: () => void }).gc?.();
    const mu = process.memoryUsage();
    rssSamples.push({ progress: Math.round(nextSample * 100) / 100, rssMb: mu.rss / 2 ** 20, heapMb: (mu.heapUsed + mu.external) / 2 ** 20 });
    nextSample += 0.1;
  }
};

// The reader thread's live heap (replayLog's reader thread, D169), sampled by that thread.
const readerHeapMb: number[] = [];
// The threaded replay's waits on each side of the hand-off (pipeline mode; D172).
const handoffWaits = newHandoffWaits();
let signals = 0;
let outputs = 0;
let modelSeconds = 0;
// Loading the model (and tfjs) is start-up, not replay: done before the clock starts.
const loaded = mode.startsWith('pipeline') && modelDir ? await loadPredictor(modelDir) : null;
// The model's own time: predict() is called once per scored 5-minute bar (tens of thousands of
// calls), so timing each call costs little next to it. Everything else is the loaded predictor's
// own (its prototype): heads, contributions, decision policy and model-health reference, so the
// graph runs what a replay with this model runs (before, only the fields listed here were passed
// on, and the pipeline figure left out the health monitor, the heads and the policy).
const predictor: Predictor | null = loaded && Object.assign(Object.create(loaded) as Predictor, {
  predict(row: Float64Array): [number, number, number] {
    const t = performance.now();
    const p = loaded.predict(row);
    modelSeconds += (performance.now() - t) / 1000;
    return p;
  },
  openWindow() {
    const w = loaded.openWindow();
    if (w === null) return null;
    const timed = <T>(f: () => T): T => {
      const t = performance.now();
      const r = f();
      modelSeconds += (performance.now() - t) / 1000;
      return r;
    };
    return { push: (row: Float64Array) => timed(() => w.push(row)), predict: () => timed(() => w.predict()) };
  },
});
const trades = await topicSize(access.log, 'trades');
const t0 = performance.now();
const cpu0 = process.cpuUsage();
if (mode === 'read-raw' || mode === 'read') {
  const decode = mode === 'read';
  let n = 0;
  for (const topic of INPUT_TOPICS) {
    const parts = await access.log.partitions(topic);
    for (let p = 0; p < parts; p++) {
      for await (const batch of access.log.read(topic, p, { batchSize: 256 })) {
        if (decode) for (const rec of batch) access.decode(topic, rec.value);
        n += batch.length;
        sample(n);
      }
    }
  }
} else if (mode === 'merge' || mode === 'bars' || mode === 'features') {
  const stats = newGraphStats();
  const source = new PushSource<InputEvent>();
  const cfg = DEFAULT_GRAPH_CONFIG;
  let out: Observable<Flow> | null = null;
  if (mode === 'bars') out = source.pipe(validateInputs(stats), buildBars(cfg.bars, stats));
  if (mode === 'features') out = source.pipe(validateInputs(stats), buildBars(cfg.bars, stats), computeFeatures(cfg.featureSet, cfg.signalInterval, stats));
  out?.subscribe(() => outputs++);
  // As replayLog reads (trades decoded into reused objects; the graph keeps no input).
  const reader = new MergedReader(access.log, access.decode, undefined, undefined, { reuseTrades: true });
  let n = 0;
  await reader.drain(Number.POSITIVE_INFINITY, (e) => {
    if (out !== null) source.next(e);
    if (++n % 100_000 === 0) sample(n);
  });
  source.complete();
} else if (mode === 'features-full') {
  // The full feature set (issue 5) to feature vectors: bars 1m/5m/15m/1h, 67 features, no model.
  const stats = await replayLog({ log: access.log, decode: access.decode, sinks: [], config: graphConfigFor(FULL_FEATURE_SET), onProgress: (n) => sample(n) });
  signals = stats.features;
} else {
  if (!predictor) throw new Error('pipeline needs a model dir');
  const sink = {
    onEvent(e: GraphEvent): void {
      if (e.kind === 'signal') signals++;
    },
  };
  await replayLog({ log: access.log, decode: access.decode, sinks: [sink], predictor, onProgress: (n) => sample(n), ...(mode === 'pipeline-one-thread' ? { readerThread: 'off' as const } : { handoff: { readerHeapMb, waits: handoffWaits, ...(process.env.READER_BOOT === 'tsx' ? { boot: 'tsx' as const } : {}) } }) });
}
const seconds = (performance.now() - t0) / 1000;
// CPU time (user + system, all threads of this process: GC helpers included). On a shared, busy
// machine wall time mostly measures the queue for a core; CPU time measures the work.
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
await access.close();
process.stdout.write(`${JSON.stringify({ mode, trades, inputs: totalInputs, signals, outputs, seconds, cpuSeconds, modelSeconds, tradesPerSec: trades / seconds, tradesPerCpuSec: trades / cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024, rssSamples, readerHeapMb, handoffWaits })}\n`);
