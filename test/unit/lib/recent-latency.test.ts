import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metrics, observeSignalLatency, recentLatency } from '../../../lib/metrics.ts';

/**
 * The 10-minute latency summary that /api/health and /metrics ask for up to ten times a second
 * each (D112) is computed again only when a sample came since (or a second passed): every answer
 * equals what prom-client's Summary computes itself, and a new sample is seen at once (D132).
 */
test('recent latency: reused between samples, equal to a fresh computation, a new sample seen at once', async () => {
  const summary = metrics.signalLatencyRecent as typeof metrics.signalLatencyRecent & { getFresh: () => ReturnType<typeof metrics.signalLatencyRecent.get> };
  for (let i = 1; i <= 200; i++) observeSignalLatency(i); // 1..200 ms
  const a = await summary.get();
  const b = await summary.get();
  assert.equal(a, b, 'no sample since: the computed value is reused');
  assert.deepEqual(a, await summary.getFresh());
  const before = await recentLatency();
  assert.equal(before.count, 200);
  observeSignalLatency(10_000);
  const c = await summary.get();
  assert.notEqual(c, a, 'a sample came: computed again');
  assert.deepEqual(c, await summary.getFresh());
  const after = await recentLatency();
  assert.equal(after.count, 201);
  assert.ok((after.p99 ?? 0) > (before.p99 ?? 0), `p99 ${before.p99} -> ${after.p99}`);
  summary.reset();
  assert.equal((await recentLatency()).count, 0, 'reset is not hidden by the reuse');
});
