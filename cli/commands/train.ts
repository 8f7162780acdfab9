import { FAMILY_CHOICES, type FamilyChoice } from '../../model/family.ts';
import { ProgressBar } from '../../model/progress.ts';
import { train, type TrainResult } from '../../model/train.ts';
import { parseLabelRule } from '../../model/label-rule.ts';
import { publicEvaluation } from '../../model/evaluation/evaluate-model.ts';
import { describeFailures, readGateConfig } from '../../model/evaluation/gates.ts';
import type { Metrics } from '../../model/metrics.ts';
import type { ValuesOf } from '../command-spec.ts';
import { cliLogger, info, printJson, progressStream, UsageError } from '../output.ts';
import type { TRAIN } from '../specs/train.ts';

/** `--family` values: a family, or auto (every family, lowest purged out-of-fold log loss, ties to the simpler). */
export function parseFamily(value: string | undefined): FamilyChoice {
  const family = value ?? 'auto';
  if (!(FAMILY_CHOICES as readonly string[]).includes(family)) throw new UsageError(`--family must be one of ${FAMILY_CHOICES.join(', ')}, got ${JSON.stringify(family)}`);
  return family as FamilyChoice;
}

/** `tickflow train`: its arguments are checked against TRAIN (cli/specs/train.ts) before this runs. */
export async function run(values: ValuesOf<typeof TRAIN>): Promise<number> {
  const { backend } = values;
  const family = parseFamily(values.family);
  const gates = values.gates === undefined ? undefined : await readGateConfig(values.gates).catch((e: unknown) => {
    throw new UsageError(`--gates ${values.gates}: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}`, { cause: e });
  });
  const bar = new ProgressBar({ label: 'train', stream: progressStream() });
  const r = await train({
    onSelectionFold: (f, of) => info(`out-of-fold predictions: fold ${f + 1}/${of}`),
    datasetPath: values.dataset,
    outDir: values.out,
    seed: values.seed,
    seeds: values.seeds,
    family,
    classWeight: values['class-weight'],
    label: parseLabelRule(values.label),
    ...(values.epochs !== undefined ? { epochs: values.epochs } : {}),
    backend,
    logger: cliLogger(),
    cvFolds: values['cv-folds'],
    cvScheme: values['cv-scheme'],
    onCvFold: (f, of) => info(`cross-validation: fold ${f + 1}/${of}`),
    ...(gates ? { gates } : {}),
    ...(values['bayes-auc'] !== undefined ? { bayesAuc: values['bayes-auc'] } : {}),
    policy: {
      feeBps: values['fee-bps'],
      slippageBps: values['slippage-bps'],
      kellyFraction: values.kelly,
      maxSize: values['max-size'],
      contract: { minTimeToExpiryMs: Math.round(values['contract-min-expiry']), moneyness: values['contract-moneyness'] === 'otm1' ? 'OTM1' : 'ATM', maxChainAgeMs: Math.round(values['contract-max-age']) },
    },
    policyMove: values['policy-move'],
    onFamily: (f) => info(`fitting ${f}`),
    onProgress: (p) => bar.update(p.epoch * p.batches + p.batch, p.epochs * p.batches, `epoch ${p.epoch + 1}/${p.epochs} loss ${p.loss.toFixed(4)}`),
  });
  bar.finish();
  info(`model ${r.modelId} (${r.family}) saved: ${r.rows} rows (train ${r.trainRows}, validation ${r.validationRows}, test ${r.testRows}; purged ${r.purgedRows}, embargoed ${r.embargoedRows})`);
  if (r.candidates.length > 1) info(`out-of-fold log loss (train + validation): ${r.candidates.map((c) => `${c.family} ${(c.cvLogLoss ?? Number.NaN).toFixed(5)}`).join(', ')}`);
  if (r.selection) info(`auto chose ${r.selection.family}: ${r.selection.steps.map((s) => `${s.family} ${s.kept ? 'beats' : 'does not beat'} ${s.against} (gain ${s.gain.toFixed(5)}, standard error ${s.standardError.toFixed(5)}, bar ${s.bar} standard errors)`).join('; ')}`);
  const g = r.evaluation.gates;
  info(g.passed ? 'gates: passed' : `gates: FAILED ${describeFailures(g)}`);
  if (r.seeds !== null) info(`${r.seeds.n} seeds: test AUC ${r.seeds.auc.mean.toFixed(4)} ± ${r.seeds.auc.sd.toFixed(4)} (sd), log loss ${r.seeds.logLoss.mean.toFixed(4)} ± ${r.seeds.logLoss.sd.toFixed(4)}; serving their average`);
  const pol = r.manifest.policy;
  if (pol) info(pol.minNetEdge === null ? `decision policy: no threshold beat the ${(pol.roundTripCost * 1e4).toFixed(1)} bp round trip on validation; the model will only HOLD` : `decision policy: trade when the expected move beats the ${(pol.roundTripCost * 1e4).toFixed(1)} bp round trip by ${(pol.minNetEdge * 1e4).toFixed(2)} bp (${r.policyFit.trades} validation rows)`);
  const reg = r.heads.regression;
  if (reg) info(`expected-return head on test: MAE ${reg.model.mae.toExponential(3)} vs persistence ${reg.persistence.mae.toExponential(3)}, drift ${reg.drift.mae.toExponential(3)}; ${reg.beatsPersistence ? 'beats' : 'does NOT beat'} persistence; q10-q90 coverage ${reg.interval.coverage.toFixed(3)} (nominal ${reg.interval.nominal.toFixed(1)})`);
  if (r.droppedColumns.length) info(`left out ${r.droppedColumns.length} feature columns empty in most rows: ${r.droppedColumns.join(', ')}`);
  printJson(trainReport(r));
  return 0;
}

/** What `train` prints (a contract other tooling reads). */
export function trainReport(r: TrainResult): Record<string, unknown> {
  return {
    modelId: r.modelId,
    family: r.family,
    ...(r.manifest.classWeight ? { classWeight: r.manifest.classWeight } : {}),
    ...(r.manifest.labelRule ? { labelRule: r.manifest.labelRule } : {}),
    metrics: publicMetrics(r.metrics),
    baseline: publicMetrics(r.baseline),
    features: r.manifest.featureNames.length,
    droppedColumns: r.droppedColumns,
    calibration: r.calibration === null ? { method: 'none', eceBefore: null, eceAfter: null } : { method: r.calibration.method, eceBefore: r.calibration.eceBefore, eceAfter: r.calibration.eceAfter },
    split: r.split,
    candidates: r.candidates,
    ...(r.selection ? { selection: r.selection } : {}),
    ...publicEvaluation(r.evaluation),
    heads: r.heads,
    importance: r.importance,
    seeds: r.seeds,
    confidenceBands: r.confidenceBands,
    policy: { minNetEdge: r.manifest.policy?.minNetEdge ?? null, roundTripCost: r.manifest.policy?.roundTripCost ?? null, validationTrades: r.policyFit.trades, validationNetMean: r.policyFit.netMean },
  };
}

/** The CLI contract names the macro one-vs-rest AUC `auc`; per-class AUCs are `aucPerClass`. */
export function publicMetrics(m: Metrics): Record<string, unknown> {
  const { macroAuc, auc, ...rest } = m;
  return { ...rest, auc: macroAuc, aucPerClass: auc };
}
