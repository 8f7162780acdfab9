import { z } from 'zod';
import { classFrequencies } from '../metrics.ts';
import { blockLengthForHorizon, DEFAULT_BOOTSTRAP, type BootstrapOptions } from './block-bootstrap.ts';
import { crossValidate, type FitFn, type TrainingData } from './cross-validate.ts';
import { DEFAULT_GATES, evaluateGates, gateVerdictSchema, type GateConfig } from './gates.ts';
import { compareWithBaseline, constantProbs, edgeFraction, STANDARD_METRICS, type NamedMetric } from './metric-intervals.ts';
import { driftReference, driftReferenceSchema } from './drift.ts';
import { eceNoiseQuantile } from './ece-noise.ts';
import { CV_SCHEMES, DEFAULT_FOLDS, planFolds, type CvScheme } from './purged-folds.ts';

const K = 3;
const ci = z.tuple([z.number(), z.number()]).nullable();
const summary = z.strictObject({ mean: z.number().nullable(), ci95: ci });

export const metricReportSchema = z.strictObject({
  value: z.number().nullable(),
  ci95: ci,
  baseline: z.strictObject({ value: z.number().nullable(), ci95: ci }),
  delta: z.strictObject({ value: z.number().nullable(), ci95: ci }),
});

export const cvReportSchema = z.strictObject({
  scheme: z.enum(CV_SCHEMES),
  folds: z.number().int(),
  auc: summary,
  accuracy: summary,
  logLoss: summary,
  perFold: z.array(
    z.strictObject({ trainRows: z.number(), testRows: z.number(), purged: z.number(), embargoed: z.number(), scores: z.record(z.string(), z.number().nullable()) }),
  ),
});

/** What a model's manifest records about how it was judged (the `evaluation` field). */
export const evaluationSchema = z.strictObject({
  bootstrap: z.strictObject({ blockLength: z.number().int(), replicates: z.number().int(), seed: z.number().int() }),
  /** Test split (the untouched holdout): every metric with its interval, beside the majority baseline. */
  holdout: z.record(z.string(), metricReportSchema),
  cv: cvReportSchema.nullable(),
  /** The best achievable AUC when the dataset says (synthetic markets), and the share of it reached. */
  bayesAuc: z.number().nullable(),
  edgeFraction: z.number().nullable(),
  gates: gateVerdictSchema,
  /** Each feature's training distribution (decile bins and frequencies), the reference for drift (PSI). */
  drift: driftReferenceSchema.optional(),
});

export type Evaluation = z.infer<typeof evaluationSchema>;
export type CvReport = z.infer<typeof cvReportSchema>;

export interface EvaluateOptions {
  data: TrainingData;
  featureNames: readonly string[];
  /** Rows the final model was fitted on (train, or train + validation): baseline frequencies and class counts. */
  trainRows: Uint32Array;
  /** The holdout (test split) rows and the final model's probabilities for them (row-major n x 3). */
  holdoutRows: Uint32Array;
  holdoutProbs: Float64Array;
  horizonMs: number;
  embargoMs: number;
  holdoutFraction: number;
  seed: number;
  /** Cross-validation of the same family on the rows before the holdout; null skips it. */
  cv: { fit: FitFn; folds: number; scheme?: CvScheme; onFold?: (fold: number, of: number) => void } | null;
  /** Holdout ECE when the family reports one (the ECE gate is skipped otherwise). */
  holdoutEce: number | null;
  /** Extra metrics (e.g. ECE, Brier) reported with intervals beside the standard ones. */
  extraMetrics?: Readonly<Record<string, NamedMetric>>;
  bayesAuc: number | null;
  gates?: GateConfig;
  replicates?: number;
}

/**
 * Judges a trained model: holdout metrics with block-bootstrap intervals beside the majority
 * baseline, purged cross-validation of the family, edge fraction, and the gate verdict.
 */
export async function evaluateModel(o: EvaluateOptions): Promise<Evaluation> {
  const bootstrap: Required<Omit<BootstrapOptions, 'level'>> = {
    blockLength: blockLengthForHorizon(o.data.barEnd, o.horizonMs),
    replicates: o.replicates ?? DEFAULT_BOOTSTRAP.replicates,
    seed: o.seed,
  };
  const metrics = { ...STANDARD_METRICS, ...o.extraMetrics };
  const trainLabels = Uint8Array.from(o.trainRows, (r) => o.data.labels[r] as number);
  const holdoutLabels = Uint8Array.from(o.holdoutRows, (r) => o.data.labels[r] as number);
  const baseline = constantProbs(classFrequencies(trainLabels), holdoutLabels.length);
  const holdout = compareWithBaseline(metrics, o.holdoutProbs, baseline, holdoutLabels, bootstrap);

  let cv: CvReport | null = null;
  if (o.cv !== null) {
    const plan = planFolds(o.data.barEnd, {
      scheme: o.cv.scheme ?? DEFAULT_FOLDS.scheme,
      folds: o.cv.folds,
      horizonMs: o.horizonMs,
      embargoMs: o.embargoMs,
      holdoutFraction: o.holdoutFraction,
      ...(o.data.labelEnd === undefined ? {} : { labelEnd: o.data.labelEnd }),
    });
    const r = await crossValidate(o.data, plan, o.cv.fit, { metrics: STANDARD_METRICS, seed: o.seed, bootstrap, ...(o.cv.onFold ? { onFold: o.cv.onFold } : {}) });
    const s = (name: string): { mean: number | null; ci95: [number, number] | null } => r.summary[name] ?? { mean: null, ci95: null };
    cv = { scheme: r.scheme, folds: r.folds, auc: s('auc'), accuracy: s('accuracy'), logLoss: s('logLoss'), perFold: r.perFold };
  }

  const counts = (labels: Uint8Array): number[] => {
    const c = new Array<number>(K).fill(0);
    for (const y of labels) c[y] = (c[y] as number) + 1;
    return c;
  };
  const auc = holdout['auc'];
  const logLoss = holdout['logLoss'];
  const gates = evaluateGates(
    {
      holdoutAucCi95: auc?.ci95 ?? null,
      holdoutLogLoss: logLoss?.value ?? Number.NaN,
      baselineLogLoss: logLoss?.baseline.value ?? Number.NaN,
      holdoutEce: o.holdoutEce,
      holdoutEceNoise95: o.holdoutEce === null ? null : eceNoiseQuantile(o.holdoutProbs, o.seed),
      trainRowsPerClass: counts(trainLabels),
      holdoutRowsPerClass: counts(holdoutLabels),
    },
    o.gates ?? DEFAULT_GATES,
  );
  return {
    bootstrap,
    holdout,
    cv,
    bayesAuc: o.bayesAuc,
    edgeFraction: edgeFraction(auc?.value ?? null, o.bayesAuc),
    gates,
    drift: driftReference(o.featureNames, o.data.features, o.trainRows),
  };
}

/** JSON-safe view for `train`'s output: `cv: {folds, auc: {mean, ci95}, logLoss: {…}}` and `gates`. */
export function publicEvaluation(e: Evaluation): Record<string, unknown> {
  const cv = e.cv === null ? null : { scheme: e.cv.scheme, folds: e.cv.folds, auc: e.cv.auc, accuracy: e.cv.accuracy, logLoss: e.cv.logLoss };
  return { cv, gates: { passed: e.gates.passed, failed: e.gates.failed, skipped: e.gates.skipped, figures: e.gates.figures }, holdout: e.holdout, bayesAuc: e.bayesAuc, edgeFraction: e.edgeFraction };
}
