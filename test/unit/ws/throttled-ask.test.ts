import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ThrottledAsk } from '../../../sinks/ws/throttled-ask.ts';

describe('ThrottledAsk', () => {
  test('callers share the waiting ask; each answer is computed after its call; at most one ask per interval', async () => {
    let computed = 0;
    const ask = new ThrottledAsk(() => Promise.resolve(++computed), 50);
    // The first call goes at once.
    const first = ask.get();
    // These arrive inside the interval: one shared ask, sent when the interval ends.
    const next = Array.from({ length: 100 }, () => ask.get());
    assert.equal(ask.sent, 1);
    assert.equal(await first, 1);
    const answers = await Promise.all(next);
    assert.deepEqual(new Set(answers), new Set([2]), 'computed once, after the calls');
    assert.equal(ask.sent, 2);
    // A later call never gets an earlier answer.
    assert.equal(await ask.get(), 3);
  });

  test('a failing ask rejects its callers and the next call asks again', async () => {
    let n = 0;
    const ask = new ThrottledAsk(() => (++n === 1 ? Promise.reject(new Error('down')) : Promise.resolve(n)), 10);
    await assert.rejects(ask.get(), /down/);
    assert.equal(await ask.get(), 2);
  });
});
