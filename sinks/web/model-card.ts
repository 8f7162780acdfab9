/**
 * The model card /api/model serves: what manifest.json says about the model, without the
 * standardization vectors (large, and of no use on a screen). Read as plain JSON so fields a
 * newer manifest adds pass through as they are; `card` (added here) is what the page shows,
 * worked out once from the manifest: each gate with its figure and threshold, the calibration,
 * and the hit rates the model showed in validation, overall and per confidence band (what the
 * live hit rates are held against).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectedHitRateOf, validationBandsOf } from '../../model/evaluation/health-reference.ts';
import type { ValidationBand } from '../../processors/health/model-health.ts';
import { manifestSchema, type ModelManifest } from '../../model/manifest.ts';

const LEFT_OUT = new Set(['standardization', 'formatVersion']);
/** A manifest is a few KB; anything far bigger is not served whole. */
const MAX_BYTES = 256 * 1024;

export type GateStatus = 'passed' | 'failed' | 'skipped';

export interface GateRow {
  name: string;
  status: GateStatus;
  /** The figure the gate judged, and the rule it had to meet (in words, with the threshold). */
  value: number | null;
  rule: string;
}

export interface ModelCardSummary {
  /** Null: a manifest written before gates existed. */
  gatesPassed: boolean | null;
  gates: GateRow[];
  calibration: { method: string; eceBefore: number; eceAfter: number; holdoutEce: number | null } | null;
  /** [lo, hi] of the top-class hit rate the model showed (holdout 95 % interval widened to its worst CV fold); null: unknown. */
  validationHitRate: [number, number] | null;
  /**
   * The test split's hit rate per confidence band (manifest confidenceBands): edges, rows, hit
   * rate, Wilson 95 % interval; the live per-band figures come with each health report (`bands`). Null: not in the manifest.
   */
  validationBands: ValidationBand[] | null;
  /** Why the summary is partial: the manifest did not validate (fields above are then empty). */
  error?: string;
}

export async function readModelCard(modelDir: string): Promise<object | null> {
  let text: string;
  try {
    text = await readFile(join(modelDir, 'manifest.json'), 'utf8');
  } catch {
    return null;
  }
  if (text.length > MAX_BYTES) return { error: `manifest.json is larger than ${MAX_BYTES} bytes: not served` };
  const raw = JSON.parse(text) as Record<string, unknown>;
  const card: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!LEFT_OUT.has(k)) card[k] = v;
  card['card'] = summarizeManifest(raw);
  return card;
}

/** The card's static part from a manifest (validated here; a manifest that does not validate gets an empty summary with the reason). */
export function summarizeManifest(raw: unknown): ModelCardSummary {
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) return { gatesPassed: null, gates: [], calibration: null, validationHitRate: null, validationBands: null, error: `manifest.json does not validate: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim() };
  const m = parsed.data;
  const c = m.calibration;
  return {
    gatesPassed: m.evaluation?.gates.passed ?? null,
    gates: gateRows(m),
    calibration: c ? { method: c.method, eceBefore: c.eceBefore, eceAfter: c.eceAfter, holdoutEce: m.metrics.ece ?? null } : null,
    validationHitRate: expectedHitRateOf(m),
    validationBands: validationBandsOf(m),
  };
}

/** One row per gate of model/evaluation/gates.ts, in its order, with the figure it judged. */
function gateRows(m: ModelManifest): GateRow[] {
  const v = m.evaluation?.gates;
  if (v === undefined) return [];
  const f = v.figures;
  const t = v.thresholds;
  const status = (name: string): GateStatus => (v.failed.includes(name as never) ? 'failed' : v.skipped.includes(name as never) ? 'skipped' : 'passed');
  const eceBound = Math.max(t.maxEce, f.holdoutEceNoise95 ?? 0);
  return [
    { name: 'holdout-auc-ci-lower', status: status('holdout-auc-ci-lower'), value: f.holdoutAucCiLower, rule: `holdout macro AUC 95 % CI lower end > ${t.minAucCiLower}` },
    {
      name: 'holdout-log-loss-vs-baseline',
      status: status('holdout-log-loss-vs-baseline'),
      value: f.holdoutLogLoss,
      rule: t.logLossBelowBaseline ? `holdout log loss < baseline ${round(f.baselineLogLoss)}` : 'not required',
    },
    { name: 'holdout-ece', status: status('holdout-ece'), value: f.holdoutEce, rule: `holdout ECE <= ${round(eceBound)}${eceBound > t.maxEce ? ' (chance level on this holdout)' : ''}` },
    {
      name: 'rows-per-class',
      status: status('rows-per-class'),
      value: Math.min(f.minTrainRowsPerClass, f.minHoldoutRowsPerClass),
      rule: `every class >= ${t.minRowsPerClass} training and holdout rows`,
    },
  ];
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;
