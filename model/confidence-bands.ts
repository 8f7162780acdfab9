import { z } from 'zod';
import { CLASSES } from '../processors/types.ts';
import { wilsonInterval } from '../processors/math/wilson.ts';
import { argmax } from './metrics.ts';

const K = CLASSES.length;

/**
 * Band edges of the top-class probability (the model's confidence): [1/3, 0.4), [0.4, 0.5), …,
 * [0.9, 1]. With three classes the top probability is never below 1/3.
 */
export const CONFIDENCE_EDGES = [1 / 3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;

export const confidenceBandsSchema = z.strictObject({
  split: z.literal('test'),
  confidence: z.literal('top-class-probability'),
  interval: z.literal('wilson-95'),
  n: z.number().int(),
  /** The train split's most frequent class (CLASSES index): the baseline predicts it on every row. */
  baselineClass: z.number().int(),
  bands: z.array(
    z.strictObject({
      from: z.number(),
      to: z.number(),
      count: z.number().int(),
      /** count / n. */
      share: z.number(),
      hits: z.number().int(),
      /** Hits / count (the predicted class, argmax with ties to the lowest index, is the label); null for an empty band. */
      hitRate: z.number().nullable(),
      ci95: z.tuple([z.number(), z.number()]).nullable(),
      /** Hit rate of the majority-class baseline on the same rows. */
      baselineHitRate: z.number().nullable(),
    }),
  ),
});

export type ConfidenceBands = z.infer<typeof confidenceBandsSchema>;

/** The Wilson interval lives with the kernel's math (the live model-health monitor uses it too); re-exported here. */
export { wilsonInterval };

/**
 * Accuracy by confidence on the holdout: for each band of the top-class probability, the share of
 * rows, their hit rate with a Wilson 95% interval, and the majority-class baseline's hit rate on
 * the same rows. Rows in row order (deterministic). The interval treats rows as independent;
 * neighbouring bars' labels overlap (docs/evaluation.md), so it is narrower than the truth.
 */
export function accuracyByConfidence(probs: Float64Array, labels: ArrayLike<number>, baselineClass: number): ConfidenceBands {
  const n = labels.length;
  const bands = CONFIDENCE_EDGES.slice(0, -1).map((from, b) => ({ from, to: CONFIDENCE_EDGES[b + 1] as number, count: 0, hits: 0, baselineHits: 0 }));
  for (let i = 0; i < n; i++) {
    const pred = argmax(probs, i * K);
    const conf = probs[i * K + pred] as number;
    let b = bands.length - 1;
    while (b > 0 && conf < (bands[b] as { from: number }).from) b--;
    const band = bands[b] as (typeof bands)[number];
    band.count++;
    if (pred === labels[i]) band.hits++;
    if (baselineClass === labels[i]) band.baselineHits++;
  }
  return {
    split: 'test',
    confidence: 'top-class-probability',
    interval: 'wilson-95',
    n,
    baselineClass,
    bands: bands.map((b) => ({
      from: b.from,
      to: b.to,
      count: b.count,
      share: n === 0 ? 0 : b.count / n,
      hits: b.hits,
      hitRate: b.count === 0 ? null : b.hits / b.count,
      ci95: wilsonInterval(b.hits, b.count),
      baselineHitRate: b.count === 0 ? null : b.baselineHits / b.count,
    })),
  };
}
