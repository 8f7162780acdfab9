// The model stage's and the chain features' steps one at a time, on the log's own vectors and chains.
// usage: node --import tsx bench/per-signal-steps.ts <logDir> <modelDir> [--passes N]
// One replay of the log (merged reader -> validation -> bars -> core features with the as-of chain
// join) collects every complete feature vector with the chain joined at its bar end. Then each
// step runs over all of them, `passes` times (the first a warm-up, not counted), and the median
// CPU µs per call is printed:
//   predict        the model's probabilities (predictor.predict)
//   contributions  per-feature contributions to the predicted class (predictor.contributions)
//   signalId       the signal's id (sha256 of symbol, bar end, model, feature set)
//   contract       the option contract for a BUY and a SELL (selectContract, the policy's rule or the default)
//   snapshot       the full set's per-chain features (snapshotFeatures: GEX, gamma flip, skew, ATM IV, ...)
// Only public functions are called, so the same script measures an older commit exported beside it.
import { parseArgs } from 'node:util';
import { openLog } from '../cli/log-access.ts';
import { MergedReader } from '../hosts/merged-reader.ts';
import { loadPredictor } from '../model/predictor.ts';
import { DEFAULT_CONTRACT_RULE, selectContract } from '../processors/decision/contract.ts';
import { snapshotFeatures } from '../processors/features/full/chain/snapshot-features.ts';
import { FULL_FEATURE_DEFAULTS } from '../processors/features/full/full-feature-defs.ts';
import { DEFAULT_GRAPH_CONFIG } from '../processors/graph.ts';
import { newGraphStats, type Flow } from '../processors/graph-events.ts';
import { buildBars } from '../processors/operators/build-bars.ts';
import { computeFeatures } from '../processors/operators/compute-features.ts';
import { signalId } from '../processors/operators/infer.ts';
import { validateInputs } from '../processors/operators/validate-inputs.ts';
import { PushSource } from '../processors/push-source.ts';
import type { InputEvent } from '../processors/types.ts';
import { intervalMs, type OptionChainSnapshot } from '../schemas/index.ts';

const { values, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { passes: { type: 'string', default: '6' } } });
const [logDir, modelDir] = positionals;
if (!logDir || !modelDir) throw new Error('usage: per-signal-steps.ts <logDir> <modelDir> [--passes N]');
const passes = Math.max(2, Number(values.passes));
const predictor = await loadPredictor(modelDir);
const cfg = DEFAULT_GRAPH_CONFIG;
const stats = newGraphStats();
const source = new PushSource<InputEvent>();
const vectors: { symbol: string; barEnd: number; hash: string; row: Float64Array; cls: number; chain: OptionChainSnapshot | null }[] = [];
source
  .pipe(validateInputs(stats), buildBars(cfg.bars, stats, undefined, intervalMs(cfg.signalInterval)), computeFeatures(cfg.featureSet, cfg.signalInterval, stats))
  .subscribe((e: Flow) => {
    if (e.kind !== 'features') return;
    const row = new Float64Array(predictor.featureNames.length);
    for (let j = 0; j < row.length; j++) {
      const x = e.vector.features[predictor.featureNames[j] as string];
      if (x === null || x === undefined) return;
      row[j] = x;
    }
    const p = predictor.predict(row);
    const cls = p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
    vectors.push({ symbol: e.vector.symbol, barEnd: e.vector.barEnd, hash: e.vector.featureSetHash, row, cls, chain: e.chain ?? null });
  });
const access = await openLog(logDir);
await new MergedReader(access.log, access.decode).drain(Number.POSITIVE_INFINITY, (e) => source.next(e));
source.complete();
await access.close();

const rule = predictor.policy?.contract ?? DEFAULT_CONTRACT_RULE;
const pricing = { rate: FULL_FEATURE_DEFAULTS.rate, dividendYield: FULL_FEATURE_DEFAULTS.dividendYield, multiplier: FULL_FEATURE_DEFAULTS.contractMultiplier };
let sink = 0;
const steps: Record<string, () => void> = {
  predict: () => {
    for (const v of vectors) sink += predictor.predict(v.row)[0];
  },
  contributions: () => {
    for (const v of vectors) sink += predictor.contributions(v.row, v.cls)?.[0] ?? 0;
  },
  signalId: () => {
    for (const v of vectors) sink += signalId(v.symbol, v.barEnd, predictor.modelId, v.hash).length;
  },
  contract: () => {
    for (let i = 0; i < vectors.length; i++) {
      const v = vectors[i]!;
      sink += selectContract(i % 2 === 0 ? 'BUY' : 'SELL', v.chain, v.barEnd, rule).contract?.strike ?? 0;
    }
  },
  snapshot: () => {
    for (const v of vectors) sink += snapshotFeatures(v.chain, pricing).gamma_flip ?? 0;
  },
};
const median = (x: number[]): number => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)] as number;
const out: Record<string, number> = {};
for (const [name, run] of Object.entries(steps)) {
  const us: number[] = [];
  for (let p = 0; p < passes; p++) {
    const c0 = process.cpuUsage();
    run();
    const c = process.cpuUsage(c0);
    if (p > 0) us.push((c.user + c.system) / vectors.length);
  }
  out[name] = Math.round(median(us) * 100) / 100;
}
process.stdout.write(`${JSON.stringify({ vectors: vectors.length, usPerCall: out, check: Number.isFinite(sink) })}\n`);
