/**
 * Shared set-up of the ClickHouse integration tests: one server per test file (started by the
 * helper), a fresh database per test, an embedded log per test, and deterministic derived records.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Bar } from '../../../schemas/bar.ts';
import type { FeatureVector } from '../../../schemas/feature-vector.ts';
import type { LateEvent } from '../../../schemas/late-event.ts';
import type { Signal } from '../../../schemas/signal.ts';
import { migrate } from '../../../sinks/clickhouse/migrations.ts';
import { openClickHouse } from '../../../sinks/clickhouse/open-clickhouse.ts';
import { qualified } from '../../../sinks/clickhouse/sql.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { type StartResult, startClickHouse } from '../../helpers/clickhouse-server.ts';
import { waitFor as waitForCondition } from '../../helpers/wait-for.ts';

export { startClickHouse, type StartResult };

export const skipReason = (s: StartResult): string | false => ('skip' in s ? s.skip : false);

/** A name no other test (or earlier run against TICKFLOW_CLICKHOUSE_URL) has used. */
export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`;

/** A new database with every migration applied, and a client. */
export async function freshDatabase(url: string): Promise<{ client: ClickHouseClient; database: string }> {
  const client = openClickHouse(url);
  const database = uniqueName('t');
  await migrate(client, database);
  return { client, database };
}

/** An embedded log in a temporary directory; closeHandles() keeps the files, close() removes them. */
export async function tempLog(): Promise<EmbeddedLog & { dir: string; closeHandles(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-ch-log-'));
  const embedded = await openEmbeddedLog(dir, { pollIntervalMs: 20 });
  let open = true;
  const closeHandles = async (): Promise<void> => {
    if (open) await embedded.close();
    open = false;
  };
  return {
    ...embedded,
    dir,
    closeHandles,
    close: async () => {
      await closeHandles();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function appendValues(log: EmbeddedLog, topic: string, values: readonly object[], key: (v: object) => string, time: (v: object) => number): Promise<void> {
  await log.log.append(
    topic,
    values.map((v) => ({ key: key(v), timestamp: time(v), value: log.serde.encode(topic, v) })),
  );
}

const T0 = 1_700_000_100_000; // 2023-11-14, a multiple of 5 minutes
const STEP = 300_000;
const SYMBOLS = ['BTCUSD', 'ETHUSD', 'SOLUSD'];

/** i-th signal: symbols round-robin, probabilities with full-precision fractions. */
export function makeSignal(i: number, symbol = SYMBOLS[i % SYMBOLS.length] as string): Signal {
  const barEnd = T0 + Math.floor(i / SYMBOLS.length) * STEP;
  const pUp = ((i * 7919) % 1000) / 3001 + 1 / 7; // non-terminating binary fractions
  const pDown = ((i * 104729) % 1000) / 5003;
  const pFlat = 1 - pUp - pDown;
  return {
    id: `sig-${symbol}-${barEnd}-m1`,
    tsEvent: barEnd,
    tsInit: barEnd + 3,
    symbol,
    interval: '5m',
    barEnd,
    pUp,
    pFlat,
    pDown,
    action: (['BUY', 'SELL', 'HOLD'] as const)[i % 3] as Signal['action'],
    confidence: Math.max(pUp, pFlat, pDown),
    modelId: 'm1',
    featureSetHash: 'fs-abc',
    inputs: [
      { topic: 'trades', partition: i % 4, fromOffset: i * 10, toOffset: i * 10 + 9 },
      { topic: 'options', partition: 0, fromOffset: i, toOffset: i },
    ],
    // Every other signal carries the heads, contributions and policy fields (Signal v2/v3), so a
    // round trip through ClickHouse covers them set and empty.
    ...(i % 2 === 1
      ? {
          expectedReturn: Math.sin(i) / 997,
          q10: -1 / (i + 3),
          q50: 1 / ((i + 3) * 7),
          q90: 1 / (i + 3),
          contributions: [{ feature: 'ret_1', value: Math.cos(i) / 3 }, { feature: 'rsi_14', value: -1 / (i + 11) }],
          size: 1 / (i + 2),
          stop: 100 - 1 / 3,
          target: 100 + 2 / 3,
          expiresAt: barEnd + 6 * STEP,
          reason: null,
        }
      : // The others leave them at their defaults, spelled out as a decode and a query give them back.
        { expectedReturn: null, q10: null, q50: null, q90: null, contributions: [], size: null, stop: null, target: null, expiresAt: null, reason: null }),
    // Signal v4/v5: every third signal names an option contract (IV quoted or not), every fifth
    // carries timeframe views (one of them without a view yet); the rest the defaults.
    contract:
      i % 3 === 0
        ? { underlying: symbol, expiry: barEnd + 86_400_000 * 2, strike: 100 + (i % 7) * 5, right: i % 2 === 0 ? 'CALL' : 'PUT', premium: 1 + 1 / (i + 3), premiumSource: i % 2 === 0 ? 'MID' : 'LAST', iv: i % 6 === 0 ? 0.2 + 1 / (i + 7) : null, chainAt: barEnd - 1_000 }
        : null,
    timeframes:
      i % 5 === 0
        ? [
            { interval: '5m', modelId: 'm1', barEnd, pUp, pFlat, pDown, weight: 0.6, logOdds: Math.log(pUp) - Math.log(Math.max(pDown, 1e-6)), agrees: i % 2 === 0 },
            { interval: '15m', modelId: 'm15', barEnd: null, pUp: null, pFlat: null, pDown: null, weight: 0.4, logOdds: null, agrees: false },
          ]
        : [],
  };
}

export function makeBar(i: number, symbol = SYMBOLS[i % SYMBOLS.length] as string): Bar {
  const end = T0 + Math.floor(i / SYMBOLS.length) * STEP;
  const open = 100 + i / 3;
  const close = open + Math.sin(i) / 7;
  return {
    tsEvent: end,
    tsInit: end + 1,
    symbol,
    interval: '5m',
    start: end - STEP,
    end,
    open,
    high: Math.max(open, close) + 0.1,
    low: Math.min(open, close) - 0.1,
    close,
    volume: 10 + i / 9,
    buyVolume: i % 2 === 0 ? null : 5 + i / 11,
    vwap: (open + close) / 2,
    trades: 20 + i,
  };
}

export function makeFeatures(i: number): FeatureVector {
  const symbol = SYMBOLS[i % SYMBOLS.length] as string;
  const barEnd = T0 + Math.floor(i / SYMBOLS.length) * STEP;
  return {
    tsEvent: barEnd,
    tsInit: barEnd + 2,
    symbol,
    interval: '5m',
    barEnd,
    featureSetId: 'core',
    featureSetHash: 'fs-abc',
    features: { ret_1: i / 1234, rsi_14: i < 3 ? null : 50 + i / 17, vol_20: 0.1 + i / 999 },
  };
}

export function makeLateEvent(i: number): LateEvent {
  return {
    tsEvent: T0 + i,
    tsInit: T0 + i + 60_000,
    symbol: SYMBOLS[i % SYMBOLS.length] as string,
    topic: 'trades',
    partition: i % 4,
    offset: 1000 + i,
    watermark: T0 + i + 30_000,
    reason: 'window closed',
  };
}

export const bySymbol = (v: object): string => (v as { symbol: string }).symbol;
export const byEventTime = (v: object): number => (v as { tsEvent: number }).tsEvent;

/** count() without and with FINAL: physical rows and rows after deduplication. */
export async function counts(client: ClickHouseClient, database: string, table: string): Promise<{ raw: number; final: number }> {
  const one = async (sql: string): Promise<number> =>
    Number((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n);
  return {
    raw: await one(`SELECT count() AS n FROM ${qualified(database, table)}`),
    final: await one(`SELECT count() AS n FROM ${qualified(database, table)} FINAL`),
  };
}

/** Polls `check` every 50 ms until it returns true, failing after `timeoutMs`. */
export function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  return waitForCondition(what, check, { timeoutMs, intervalMs: 50 });
}
