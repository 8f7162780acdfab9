import { classify, TRIPLE_BARRIER_VOL_BARS, type TripleBarrierConfig } from '../processors/labels.ts';
import { ModelError } from './errors.ts';
import { quantileSorted } from './evaluation/block-bootstrap.ts';

/**
 * Which labels a model trains on. `band`: the dataset's own labels (direction over the horizon
 * with the FLAT band it was built with). `percentile`: the FLAT band is refitted on the training
 * split, as the p-th percentile (type 7, numpy's default 'linear') of |fwdReturn| over the train
 * rows; every row is then relabelled with it by the dataset's own rule (processors/labels.ts
 * `classify`: UP if r > band, DOWN if r < -band, else FLAT), so about p % of the train rows are
 * FLAT and the rest split between UP and DOWN by sign. Validation and test rows are labelled with
 * the band fitted on train; their returns never enter it. The band is recorded as the manifest's
 * labelConfig.flatBand, which the live model-health labels use too.
 */
export type LabelRule = { kind: 'band' } | { kind: 'percentile'; p: number };

/** `band` or `percentile:<p>` with 0 < p < 100; throws ModelError('LABEL_INVALID') otherwise. */
export function parseLabelRule(text: string): LabelRule {
  if (text === 'band') return { kind: 'band' };
  const m = /^percentile:(\d+(?:\.\d+)?)$/.exec(text);
  const p = m === null ? Number.NaN : Number(m[1]);
  if (!(p > 0 && p < 100)) throw new ModelError('LABEL_INVALID', `label must be band or percentile:<p> with 0 < p < 100, got ${JSON.stringify(text)}`);
  return { kind: 'percentile', p };
}

/** The p-th percentile of |fwdReturn| over the given rows (the train split). */
export function percentileBand(fwdReturn: ArrayLike<number>, rows: ArrayLike<number>, p: number): number {
  if (rows.length === 0) throw new ModelError('LABEL_INVALID', 'no training rows to fit the percentile band on');
  const abs = Float64Array.from({ length: rows.length }, (_, i) => Math.abs(fwdReturn[rows[i] as number] as number));
  abs.sort();
  return quantileSorted(abs, p / 100);
}

/** Every row's class (CLASSES order) by the FLAT band. */
export function labelsForBand(fwdReturn: ArrayLike<number>, band: number): Uint8Array {
  return Uint8Array.from({ length: fwdReturn.length }, (_, i) => classify(fwdReturn[i] as number, band));
}

/** `replay dataset --label`: direction with the FLAT band (`band`), or a triple barrier. */
export type DatasetLabel = { kind: 'band' } | { kind: 'triple-barrier'; config: TripleBarrierConfig };

const TRIPLE_BARRIER = /^triple-barrier:(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+)$/;

/**
 * `band` or `triple-barrier:<up>,<down>,<bars>`: profit target and stop in multiples of σ (the
 * std of the last TRIPLE_BARRIER_VOL_BARS one-bar log returns, both > 0), time limit in bars
 * (1..10000). Throws ModelError('LABEL_INVALID') otherwise.
 */
export function parseDatasetLabel(text: string): DatasetLabel {
  if (text === 'band') return { kind: 'band' };
  const m = TRIPLE_BARRIER.exec(text);
  const [up, down, bars] = m === null ? [Number.NaN, Number.NaN, Number.NaN] : [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!(up > 0 && down > 0 && bars >= 1 && bars <= 10_000)) {
    throw new ModelError('LABEL_INVALID', `label must be band or triple-barrier:<up>,<down>,<bars> (barriers in multiples of σ, > 0; time limit 1..10000 bars), got ${JSON.stringify(text)}`);
  }
  return { kind: 'triple-barrier', config: { up, down, bars, volBars: TRIPLE_BARRIER_VOL_BARS } };
}
