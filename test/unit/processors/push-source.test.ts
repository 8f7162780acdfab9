import assert from 'node:assert/strict';
import { test } from 'node:test';
import { map } from 'rxjs';
import { PushSource } from '../../../processors/push-source.ts';

test('PushSource delivers pushed values in order, through operators, to every current subscriber', () => {
  const src = new PushSource<number>();
  const a: number[] = [];
  const b: number[] = [];
  src.pipe(map((x) => x * 10)).subscribe((x) => a.push(x));
  src.next(1);
  const sub = src.subscribe((x) => b.push(x));
  src.next(2);
  src.next(3);
  sub.unsubscribe();
  src.next(4);
  assert.deepEqual(a, [10, 20, 30, 40]);
  assert.deepEqual(b, [2, 3]);
});

test('PushSource: complete() completes subscribers once; later values and subscribers get nothing but completion', () => {
  const src = new PushSource<string>();
  const events: string[] = [];
  src.subscribe({ next: (v) => events.push(v), complete: () => events.push('complete') });
  src.next('x');
  src.complete();
  src.next('y');
  src.complete();
  src.subscribe({ next: (v) => events.push(`late ${v}`), complete: () => events.push('late complete') });
  assert.deepEqual(events, ['x', 'complete', 'late complete']);
});

test('PushSource: a subscriber whose operator throws is errored and dropped; the others go on', () => {
  const src = new PushSource<number>();
  const errors: string[] = [];
  const ok: number[] = [];
  src.pipe(map((x) => { if (x === 2) throw new Error('boom'); return x; })).subscribe({ error: (e: Error) => errors.push(e.message) });
  src.subscribe((x) => ok.push(x));
  src.next(1);
  src.next(2);
  src.next(3);
  assert.deepEqual(errors, ['boom']);
  assert.deepEqual(ok, [1, 2, 3]);
});
