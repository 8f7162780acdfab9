/**
 * What a derived record must satisfy before it may become a ClickHouse row: the Avro schema only
 * guarantees types, so these add what Avro cannot say (finite numbers, non-empty names, sane
 * OHLC, probabilities in [0, 1], timestamps inside the range the month partitions can represent).
 */
import { z } from 'zod';

/** Epoch ms from 1970 up to DateTime's end (2106), where toDateTime() of the partition key works. */
const epochMs = z.int().min(0).max(4_294_967_295_000);
const name = z.string().min(1);
const count = z.int().min(0);
const finite = z.number(); // zod 4 numbers refuse NaN and ±Infinity
const probability = finite.min(0).max(1);

export const barSchema = z
  .object({
    tsEvent: epochMs,
    tsInit: epochMs,
    symbol: name,
    interval: name,
    start: epochMs,
    end: epochMs,
    open: finite,
    high: finite,
    low: finite,
    close: finite,
    volume: finite.min(0),
    buyVolume: finite.min(0).nullable(),
    vwap: finite,
    trades: count,
  })
  .refine((b) => b.end > b.start, { message: 'end must be after start' })
  .refine((b) => b.tsEvent === b.end, { message: 'a bar is stamped at its close: tsEvent must equal end' })
  .refine((b) => b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close), {
    message: 'open and close must lie within [low, high]',
  });

export const featureVectorSchema = z
  .object({
    tsEvent: epochMs,
    tsInit: epochMs,
    symbol: name,
    interval: name,
    barEnd: epochMs,
    featureSetId: name,
    featureSetHash: name,
    features: z.record(name, finite.nullable()),
  })
  .refine((f) => f.tsEvent === f.barEnd, { message: 'tsEvent must equal barEnd' });

const inputRange = z
  .object({ topic: name, partition: count, fromOffset: count, toOffset: count })
  .refine((r) => r.fromOffset <= r.toOffset, { message: 'fromOffset must not exceed toOffset' });

export const signalSchema = z.object({
  id: name,
  tsEvent: epochMs,
  tsInit: epochMs,
  symbol: name,
  interval: name,
  barEnd: epochMs,
  pUp: probability,
  pFlat: probability,
  pDown: probability,
  action: z.enum(['BUY', 'SELL', 'HOLD']),
  confidence: probability,
  modelId: name,
  featureSetHash: name,
  inputs: z.array(inputRange),
  // Signal v2 (heads, contributions) and v3 (decision policy): optional, null or empty when absent.
  expectedReturn: finite.nullable().optional(),
  q10: finite.nullable().optional(),
  q50: finite.nullable().optional(),
  q90: finite.nullable().optional(),
  contributions: z.array(z.object({ feature: name, value: finite })).optional(),
  size: finite.min(0).max(1).nullable().optional(),
  stop: finite.nullable().optional(),
  target: finite.nullable().optional(),
  expiresAt: epochMs.nullable().optional(),
  reason: z.string().nullable().optional(),
  // Signal v4 (the option contract, D52) and v5 (a confluence bundle's timeframe views, D58).
  contract: z
    .object({ underlying: name, expiry: epochMs, strike: finite, right: z.enum(['CALL', 'PUT']), premium: finite, premiumSource: z.enum(['MID', 'LAST']), iv: finite.nullable(), chainAt: epochMs })
    .nullable()
    .optional(),
  timeframes: z
    .array(z.object({ interval: name, modelId: name, barEnd: epochMs.nullable(), pUp: probability.nullable(), pFlat: probability.nullable(), pDown: probability.nullable(), weight: finite, logOdds: finite.nullable(), agrees: z.boolean() }))
    .optional(),
});

export const modelHealthSchema = z.object({
  symbol: name,
  tsEvent: epochMs,
  tsInit: epochMs,
  modelId: name,
  vectors: count,
  window: count,
  psiMax: finite.nullable(),
  psiFeature: z.string().nullable(),
  driftedFeatures: z.array(z.string()),
  matured: count,
  hitRate: finite.nullable(),
  hitRateUpper: finite.nullable(),
  expectedHitRateLo: finite.nullable(),
  expectedHitRateHi: finite.nullable(),
  meanConfidence: finite.nullable(),
  calibrationGap: finite.nullable(),
  retrain: z.boolean(),
  priority: z.string().nullable(),
  reason: z.string().nullable(),
});

export const lateEventSchema = z.object({
  tsEvent: epochMs,
  tsInit: epochMs,
  symbol: name,
  topic: name,
  partition: count,
  offset: count,
  watermark: z.int(),
  reason: name,
});

export const deadLetterSchema = z.object({
  tsInit: epochMs,
  topic: name,
  partition: count,
  offset: count,
  key: z.string(),
  reason: name,
  payload: z.instanceof(Uint8Array),
});

/** "path.to.field: message" of the first problem, for a dead letter's reason. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
