// One measurement in its own process, so peak RSS is the measurement's alone.
// usage: node --import tsx bench/measure.ts read|pipeline|features-full <logDir> [<modelDir>]
import { loadPredictor } from '../model/predictor.ts';
import { FULL_FEATURE_SET } from '../processors/features/full/index.ts';
import { graphConfigFor } from '../processors/graph.ts';
import type { GraphEvent } from '../processors/graph-events.ts';
import { INPUT_TOPICS } from '../hosts/merged-reader.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { openLog, topicSize } from '../cli/log-access.ts';

const [mode, logDir, modelDir] = process.argv.slice(2);
if (!logDir || (mode !== 'read' && mode !== 'pipeline' && mode !== 'features-full')) throw new Error('usage: measure.ts read|pipeline|features-full <logDir> [<modelDir>]');
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

let trades = 0;
let signals = 0;
// Loading the model (and tfjs) is start-up, not replay: done before the clock starts.
const predictor = mode === 'pipeline' && modelDir ? await loadPredictor(modelDir) : null;
const t0 = performance.now();
if (mode === 'read') {
  let n = 0;
  for (const topic of INPUT_TOPICS) {
    const parts = await access.log.partitions(topic);
    for (let p = 0; p < parts; p++) {
      for await (const batch of access.log.read(topic, p, { batchSize: 256 })) {
        for (const rec of batch) access.decode(topic, rec.value);
        n += batch.length;
        if (topic === 'trades') trades += batch.length;
        sample(n);
      }
    }
  }
} else if (mode === 'features-full') {
  // The full feature set (issue 5) to feature vectors: bars 1m/5m/15m/1h, 67 features, no model.
  const stats = await replayLog({ log: access.log, decode: access.decode, sinks: [], config: graphConfigFor(FULL_FEATURE_SET), onProgress: (n) => sample(n) });
  signals = stats.features;
  trades = await topicSize(access.log, 'trades');
} else {
  if (!predictor) throw new Error('pipeline needs a model dir');
  const sink = {
    onEvent(e: GraphEvent): void {
      if (e.kind === 'signal') signals++;
    },
  };
  const stats = await replayLog({ log: access.log, decode: access.decode, sinks: [sink], predictor, onProgress: (n) => sample(n) });
  void stats;
  trades = await topicSize(access.log, 'trades');
}
const seconds = (performance.now() - t0) / 1000;
await access.close();
process.stdout.write(`${JSON.stringify({ mode, trades, signals, seconds, tradesPerSec: trades / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, rssSamples })}\n`);
