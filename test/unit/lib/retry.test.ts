import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TickflowError } from '../../../lib/errors.ts';
import { retry } from '../../../lib/retry.ts';

const transient = (err: unknown): boolean => err instanceof TickflowError && err.retriable;
const fast = { initialMs: 1, maxMs: 4 };

test('retriable failures are retried with growing, jittered waits until the call succeeds', async () => {
  let calls = 0;
  const waits: number[] = [];
  let recovered = 0;
  const value = await retry(
    async () => {
      calls++;
      if (calls < 4) throw new TickflowError('broker down', { retriable: true });
      return 'ok';
    },
    { retriable: transient, backoff: { initialMs: 10, maxMs: 25, jitter: 0.2 }, random: () => 1, onRetry: (_e, _n, w) => waits.push(w), onRecovered: (n) => (recovered = n), signal: AbortSignal.timeout(5_000) },
  );
  assert.equal(value, 'ok');
  assert.equal(calls, 4);
  assert.equal(recovered, 4);
  // random() = 1 gives the top of the jitter band: 10·1.2, 20·1.2, then capped at 25·1.2.
  assert.deepEqual(waits, [12, 24, 30]);
});

test('a failure that is not retriable ends the loop at once', async () => {
  let calls = 0;
  await assert.rejects(
    retry(async () => {
      calls++;
      throw new TickflowError('bad argument');
    }, { retriable: transient, backoff: fast }),
    /bad argument/,
  );
  assert.equal(calls, 1);
});

test('running out of maxElapsedMs throws what onGiveUp makes, with the last failure as cause', async () => {
  const last = new TickflowError('still down', { retriable: true });
  const err = await retry(async () => Promise.reject(last), {
    retriable: transient,
    backoff: { ...fast, maxElapsedMs: 20 },
    onGiveUp: (e, n) => new TickflowError(`gave up after ${n}`, { cause: e }),
  }).catch((e: unknown) => e);
  assert.ok(err instanceof TickflowError);
  assert.match(err.message, /gave up after \d+/);
  assert.equal(err.cause, last);
  assert.equal(err.retriable, false);
});

test('an abort during the wait ends the loop with the abort reason', async () => {
  const ac = new AbortController();
  let calls = 0;
  const pending = retry(
    async () => {
      calls++;
      throw new TickflowError('down', { retriable: true });
    },
    { retriable: transient, backoff: { initialMs: 60_000, maxMs: 60_000 }, signal: ac.signal, onRetry: () => ac.abort(new Error('stopping')) },
  );
  await assert.rejects(pending, /stopping/);
  assert.equal(calls, 1);
});

test('error families share the base: name, retriable and cause', () => {
  class LayerError extends TickflowError {}
  const cause = new Error('root');
  const e = new LayerError('layer failed', { retriable: true, cause });
  assert.equal(e.name, 'LayerError');
  assert.equal(e.retriable, true);
  assert.equal(e.cause, cause);
  assert.equal(new LayerError('x').retriable, false);
});
