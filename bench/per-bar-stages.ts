// The per-bar stages alone, on one replay's events held in memory (no read, decode, merge or bars).
// usage: node --import tsx bench/per-bar-stages.ts <logDir> [<modelDir>] [--passes N]
// One replay of the log captures what enters computeFeatures (bars and option chains, after
// validation and bar building) for the core and the full set, and, with a model, what enters
// infer (bars and feature vectors with their joined chain). Then, `passes` times each (fresh
// operators every pass; the first pass is a warm-up and is not counted), it times:
//   features       computeFeatures with the core set (as-of chain join, core + chain features)
//   features-full  computeFeatures with the 67-feature full set
//   model          infer -> modelHealth (the model stage of the graph, as buildGraph composes it)
// and prints CPU µs per output (vector or signal) and CPU seconds per pass, medians over the
// counted passes, and the first pass's CPU seconds (code not yet optimized by the JIT, as in a
// replay). Lower noise than whole replays on a shared machine: the same events, in memory,
// so a change to one stage shows alone. Garbage that a whole replay keeps alive for longer (the as-of
// buffer's chains) is not represented: whole replays (bench/measure.ts) measure that.
import { parseArgs } from 'node:util';
import { openLog } from '../cli/log-access.ts';
import { MergedReader } from '../hosts/merged-reader.ts';
import { loadPredictor } from '../model/predictor.ts';
import { FULL_FEATURE_SET } from '../processors/features/full/index.ts';
import { DEFAULT_GRAPH_CONFIG, graphConfigFor, type GraphConfig } from '../processors/graph.ts';
import { newGraphStats, type Flow } from '../processors/graph-events.ts';
import { modelHealth } from '../processors/health/model-health.ts';
import { buildBars } from '../processors/operators/build-bars.ts';
import { computeFeatures } from '../processors/operators/compute-features.ts';
import { infer } from '../processors/operators/infer.ts';
import { validateInputs } from '../processors/operators/validate-inputs.ts';
import { PushSource } from '../processors/push-source.ts';
import { intervalMs } from '../schemas/index.ts';
import type { InputEvent, Predictor } from '../processors/types.ts';
import type { OperatorFunction } from 'rxjs';

const { values, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { passes: { type: 'string', default: '4' }, only: { type: 'string' } } });
const [logDir, modelDir] = positionals;
if (!logDir) throw new Error('usage: per-bar-stages.ts <logDir> [<modelDir>] [--passes N]');
const passes = Math.max(2, Number(values.passes));
/** --only <stage>: time that stage alone (e.g. under a profiler). */
const want = (stage: string): boolean => values.only === undefined || values.only === stage;
const access = await openLog(logDir);
const inputs: InputEvent[] = [];
await new MergedReader(access.log, access.decode).drain(Number.POSITIVE_INFINITY, (e) => inputs.push(e));
await access.close();

/** Runs `op` over `events`; returns what it emitted. */
const run = (events: readonly Flow[], op: OperatorFunction<Flow, Flow>): Flow[] => {
  const src = new PushSource<Flow>();
  const out: Flow[] = [];
  src.pipe(op).subscribe((e) => out.push(e));
  for (const e of events) src.next(e);
  src.complete();
  return out;
};

/** The events entering computeFeatures for a graph config: bars and chains, in graph order. */
const featureInputs = (cfg: GraphConfig): Flow[] => {
  const stats = newGraphStats();
  const before = run(inputs, (s) => (s as unknown as PushSource<InputEvent>).pipe(validateInputs(stats), buildBars(cfg.bars, stats, undefined, intervalMs(cfg.signalInterval))));
  return before.filter((e) => e.kind === 'bar' || e.kind === 'chain');
};

const median = (x: number[]): number => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)] as number;
const time = (name: string, events: readonly Flow[], make: () => OperatorFunction<Flow, Flow>, count: (out: Flow[]) => number): void => {
  const cpu: number[] = [];
  let first = 0;
  let outputs = 0;
  for (let p = 0; p < passes; p++) {
    const op = make();
    const c0 = process.cpuUsage();
    const out = run(events, op);
    const c = process.cpuUsage(c0);
    outputs = count(out);
    if (p > 0) cpu.push((c.user + c.system) / 1e6);
    else first = (c.user + c.system) / 1e6;
  }
  const s = median(cpu);
  process.stdout.write(`${JSON.stringify({ stage: name, events: events.length, outputs, cpuSecondsPerPass: s, usPerOutput: Math.round((s * 1e7) / outputs) / 10, passes: cpu, firstPassCpuSeconds: first })}\n`);
};

const core = DEFAULT_GRAPH_CONFIG;
const full = graphConfigFor(FULL_FEATURE_SET);
const coreIn = featureInputs(core);
if (want('features')) time('features', coreIn, () => computeFeatures(core.featureSet, core.signalInterval, newGraphStats()), (o) => o.filter((e) => e.kind === 'features').length);
if (want('features-full')) time('features-full', featureInputs(full), () => computeFeatures(full.featureSet, full.signalInterval, newGraphStats()), (o) => o.filter((e) => e.kind === 'features').length);
if (modelDir !== undefined && want('model')) {
  const p: Predictor = await loadPredictor(modelDir);
  const withChains = run(coreIn, computeFeatures(core.featureSet, core.signalInterval, newGraphStats())).filter((e) => e.kind === 'bar' || e.kind === 'features');
  const health = p.health;
  time(
    'model',
    withChains,
    () => (s) => {
      const scored = s.pipe(infer(p, core.rule, newGraphStats()));
      return health === undefined ? scored : scored.pipe(modelHealth(p.modelId, p.featureNames, health, core.signalInterval));
    },
    (o) => o.filter((e) => e.kind === 'signal').length,
  );
}
