import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ModelError } from '../errors.ts';

/**
 * Validation gates: a model goes live only if its holdout figures clear every gate. A pure
 * function from figures to a verdict; the thresholds come from a `gates.json` (every key optional,
 * the defaults below otherwise).
 */
export const gateConfigSchema = z.strictObject({
  /** Holdout macro AUC: the lower end of its 95 % block-bootstrap interval must exceed this. */
  minAucCiLower: z.number().min(0).max(1),
  /** Holdout log loss must be below the majority baseline's (its point estimate). */
  logLossBelowBaseline: z.boolean(),
  /** Holdout expected calibration error (10 bins, top class) at most this; skipped when unknown. */
  maxEce: z.number().min(0).max(1),
  /** Every class needs at least this many training rows and this many holdout rows. */
  minRowsPerClass: z.number().int().min(0),
});

export type GateConfig = z.infer<typeof gateConfigSchema>;

export const DEFAULT_GATES: GateConfig = {
  minAucCiLower: 0.5,
  logLossBelowBaseline: true,
  maxEce: 0.03,
  minRowsPerClass: 30,
};

export const GATE_NAMES = ['holdout-auc-ci-lower', 'holdout-log-loss-vs-baseline', 'holdout-ece', 'rows-per-class'] as const;
export type GateName = (typeof GATE_NAMES)[number];

export interface GateFigures {
  /** Holdout macro AUC 95 % interval (null when undefined: a class absent). */
  holdoutAucCi95: [number, number] | null;
  holdoutLogLoss: number;
  baselineLogLoss: number;
  /** Null when the model family reports no ECE. */
  holdoutEce: number | null;
  /** The ECE a perfectly calibrated model would reach by chance on this holdout (95th percentile; ece-noise.ts); null when unknown. */
  holdoutEceNoise95?: number | null;
  trainRowsPerClass: number[];
  holdoutRowsPerClass: number[];
}

export const gateVerdictSchema = z.strictObject({
  passed: z.boolean(),
  failed: z.array(z.enum(GATE_NAMES)),
  /** Gates not evaluated because their figure is unknown (e.g. no ECE). */
  skipped: z.array(z.enum(GATE_NAMES)),
  figures: z.strictObject({
    holdoutAucCiLower: z.number().nullable(),
    holdoutLogLoss: z.number(),
    baselineLogLoss: z.number(),
    holdoutEce: z.number().nullable(),
    holdoutEceNoise95: z.number().nullable().default(null),
    minTrainRowsPerClass: z.number(),
    minHoldoutRowsPerClass: z.number(),
  }),
  thresholds: gateConfigSchema,
});

export type GateVerdict = z.infer<typeof gateVerdictSchema>;

export function evaluateGates(f: GateFigures, config: GateConfig = DEFAULT_GATES): GateVerdict {
  const failed: GateName[] = [];
  const skipped: GateName[] = [];
  const aucLower = f.holdoutAucCi95 === null ? null : f.holdoutAucCi95[0];
  if (aucLower === null || !(aucLower > config.minAucCiLower)) failed.push('holdout-auc-ci-lower');
  if (config.logLossBelowBaseline && !(f.holdoutLogLoss < f.baselineLogLoss)) failed.push('holdout-log-loss-vs-baseline');
  if (f.holdoutEce === null) skipped.push('holdout-ece');
  // Miscalibration must be both above the bound and beyond what chance gives a calibrated model.
  else if (!(f.holdoutEce <= Math.max(config.maxEce, f.holdoutEceNoise95 ?? 0))) failed.push('holdout-ece');
  const minTrain = Math.min(...f.trainRowsPerClass);
  const minHoldout = Math.min(...f.holdoutRowsPerClass);
  if (!(minTrain >= config.minRowsPerClass && minHoldout >= config.minRowsPerClass)) failed.push('rows-per-class');
  return {
    passed: failed.length === 0,
    failed,
    skipped,
    figures: {
      holdoutAucCiLower: aucLower,
      holdoutLogLoss: f.holdoutLogLoss,
      baselineLogLoss: f.baselineLogLoss,
      holdoutEce: f.holdoutEce,
      holdoutEceNoise95: f.holdoutEceNoise95 ?? null,
      minTrainRowsPerClass: minTrain,
      minHoldoutRowsPerClass: minHoldout,
    },
    thresholds: { ...config },
  };
}

/** Reads a gates.json: any subset of the keys, the rest defaulted; unknown keys are an error. */
export async function readGateConfig(path: string): Promise<GateConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ModelError('GATES_INVALID', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = gateConfigSchema.partial().safeParse(raw);
  if (!parsed.success) throw new ModelError('GATES_INVALID', `${path} is not a valid gates file: ${z.prettifyError(parsed.error)}`);
  const out: GateConfig = { ...DEFAULT_GATES };
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** One line naming the failed gates with their figures, for refusals and warnings. */
export function describeFailures(v: GateVerdict): string {
  const f = v.figures;
  const t = v.thresholds;
  const why: Record<GateName, string> = {
    'holdout-auc-ci-lower': `holdout AUC 95 % CI lower bound ${f.holdoutAucCiLower?.toFixed(4) ?? 'undefined'} not above ${t.minAucCiLower}`,
    'holdout-log-loss-vs-baseline': `holdout log loss ${f.holdoutLogLoss.toFixed(4)} not below the baseline's ${f.baselineLogLoss.toFixed(4)}`,
    'holdout-ece': `holdout ECE ${f.holdoutEce?.toFixed(4) ?? 'unknown'} above ${t.maxEce} and above the ${f.holdoutEceNoise95?.toFixed(4) ?? '?'} a calibrated model reaches by chance on this holdout`,
    'rows-per-class': `fewest rows of a class ${Math.min(f.minTrainRowsPerClass, f.minHoldoutRowsPerClass)} below ${t.minRowsPerClass}`,
  };
  return v.failed.map((g) => `${g} (${why[g]})`).join('; ');
}
