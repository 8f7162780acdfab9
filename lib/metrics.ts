/**
 * The process's Prometheus metrics (prom-client), served at `/metrics` and read by `/api/health`.
 * Any layer outside processors/ may record here; the pure kernel keeps its own counters
 * (GraphStats), which a host exposes through observeGraphStats.
 */
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';

export const registry = new Registry();

/** The graph counters a host exposes (structurally GraphStats; lib/ does not import processors/). */
export interface GraphCounters {
  inputs: number;
  late: number;
  deadLetters: number;
  bars: number;
  signals: number;
}

let graph: GraphCounters | null = null;

/** Points the graph counters at the running host's stats object (read at every scrape). */
export function observeGraphStats(stats: GraphCounters | null): void {
  graph = stats;
}

/** A counter whose value is read from the graph stats at scrape time. */
function graphCounter(name: string, help: string, field: keyof GraphCounters): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      if (graph) this.inc(graph[field]);
    },
  });
}

// Seconds, from 1 ms to 10 s: a live signal normally follows its input within a few ms.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How long a computed value of RecentSummary is reused when no sample came since (its age buckets rotate every 120 s). */
export const RECENT_SUMMARY_REUSE_MS = 1_000;

/**
 * A Summary over a sliding window whose value is computed again only when a sample came since, or
 * RECENT_SUMMARY_REUSE_MS after the last computation (so samples leaving the window are seen within
 * a second). prom-client's Summary merges its age buckets' digests at every get(): 2-10 ms of the
 * processing thread for the ~1,200 signals of 10 minutes, and /api/health and /metrics ask for it
 * up to ten times a second each (D112) — the processing thread's largest cost under a page load
 * (docs/decisions.md D132). Same values as the Summary's own get() at the time it was computed.
 */
class RecentSummary extends Summary {
  private samples = 0;
  private memo: { samples: number; at: number; value: ReturnType<Summary['get']> } | null = null;

  override observe(value: number): void;
  override observe(labels: Partial<Record<string, string | number>>, value: number): void;
  override observe(a: number | Partial<Record<string, string | number>>, b?: number): void {
    this.samples++;
    if (typeof a === 'number') super.observe(a);
    else super.observe(a, b as number);
  }

  override reset(): void {
    this.memo = null;
    super.reset();
  }

  override get(): ReturnType<Summary['get']> {
    const now = performance.now();
    if (this.memo !== null && this.memo.samples === this.samples && now - this.memo.at < RECENT_SUMMARY_REUSE_MS) return this.memo.value;
    const value = super.get();
    this.memo = { samples: this.samples, at: now, value };
    return value;
  }

  /** The Summary's get(), always computed (for tests that compare). */
  getFresh(): ReturnType<Summary['get']> {
    return super.get();
  }
}

export const metrics = {
  inputs: graphCounter('tickflow_inputs_total', 'Input events processed (trades, chain snapshots, candles)', 'inputs'),
  late: graphCounter('tickflow_late_events_total', 'Trades that arrived after their bar closed (routed to late-events)', 'late'),
  deadLetters: graphCounter('tickflow_dead_letters_total', 'Inputs rejected by validation (routed to dead-letters)', 'deadLetters'),
  bars: graphCounter('tickflow_bars_total', 'Bars closed', 'bars'),
  signals: graphCounter('tickflow_signals_total', 'Signals emitted (catch-up and live)', 'signals'),
  lag: new Gauge({
    name: 'tickflow_lag_seconds',
    help: 'Wall time from the last live chunk being durably appended to the log to its last output',
    registers: [registry],
  }),
  signalLatency: new Histogram({
    name: 'tickflow_signal_latency_seconds',
    help: 'Bar close to signal: wall time from the input that closed the bar being logged to the signal',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  /** The same samples over the last 10 minutes, for the p50/p99 /api/health shows. */
  signalLatencyRecent: new RecentSummary({
    name: 'tickflow_signal_latency_recent_seconds',
    help: 'Bar close to signal latency quantiles over the last 10 minutes',
    percentiles: [0.5, 0.99],
    maxAgeSeconds: 600,
    ageBuckets: 5,
    registers: [registry],
  }),
  wsClients: new Gauge({ name: 'tickflow_ws_clients', help: 'Connected WebSocket clients', registers: [registry] }),
  wsMessagesSent: new Counter({ name: 'tickflow_ws_messages_sent_total', help: 'Frames sent to WebSocket clients', registers: [registry] }),
  wsDropped: new Counter({
    name: 'tickflow_ws_dropped_total',
    help: 'WebSocket clients disconnected, by reason (slow_consumer: bytes, stale: late pong, rate_limit), and frames the fan-out worker could not take (worker_overflow)',
    labelNames: ['reason'],
    registers: [registry],
  }),
  wsRefused: new Counter({
    name: 'tickflow_ws_refused_total',
    help: 'WebSocket handshakes refused, by reason (origin, token, connection limit)',
    labelNames: ['reason'],
    registers: [registry],
  }),
  httpRequests: new Counter({ name: 'tickflow_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
  /** API answers computed (not served from the per-log-position cache, sinks/web/response-cache.ts). */
  httpComputed: new Counter({ name: 'tickflow_http_api_computed_total', help: 'API answers computed rather than served from the cache of answers per log position, by route', labelNames: ['route'], registers: [registry] }),
};

/** Records one live signal's latency (milliseconds). */
export function observeSignalLatency(ms: number): void {
  metrics.signalLatency.observe(ms / 1000);
  metrics.signalLatencyRecent.observe(ms / 1000);
  metrics.lag.set(ms / 1000);
}

/** p50/p99 (ms) of the recent latencies; nulls when there are none. */
export async function recentLatency(): Promise<{ p50: number | null; p99: number | null; count: number }> {
  const values = (await metrics.signalLatencyRecent.get()).values;
  const count = values.find((v) => v.metricName === 'tickflow_signal_latency_recent_seconds_count')?.value ?? 0;
  const q = (p: number): number | null => {
    const v = values.find((x) => x.labels['quantile'] === p)?.value;
    return count > 0 && v !== undefined && Number.isFinite(v) ? v * 1000 : null;
  };
  return { p50: q(0.5), p99: q(0.99), count };
}

/** The current value of a counter or gauge without labels (summed over labels when it has some). */
export async function currentValue(metric: Counter | Gauge): Promise<number> {
  const values = (await metric.get()).values;
  return values.reduce((s, v) => s + v.value, 0);
}
