import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, ProgressBar, type ProgressStream } from '../../../model/progress.ts';

function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { out: string[] } {
  const out: string[] = [];
  return { out, isTTY, ...(columns === undefined ? {} : { columns }), write: (s: string) => out.push(s) };
}

describe('ProgressBar', () => {
  test('off a TTY: one line per 10 %, with an ETA from the elapsed rate', () => {
    const stream = fakeStream(false);
    let clock = 0;
    const bar = new ProgressBar({ stream, now: () => clock, label: 'train' });
    for (let i = 1; i <= 100; i++) {
      clock = i * 10; // 10 ms per unit
      bar.update(i, 100);
    }
    assert.equal(stream.out.length, 10);
    // at 50/100 after 500 ms, 50 units remain at 10 ms each: 0.5 s
    assert.match(stream.out[4] as string, /^train \[#{12}\.{12}\]  50\.0% 50\/100 ETA 0\.5s\n$/);
    bar.finish();
    assert.equal(stream.out.at(-1), 'train done 100/100 in 1.0s\n');
    bar.update(100, 100);
    assert.equal(stream.out.length, 11, 'updates after finish are ignored');
  });

  test('on a TTY: redraws in place at most every minIntervalMs, and always at 100 %', () => {
    const stream = fakeStream(true, 40);
    let clock = 0;
    const bar = new ProgressBar({ stream, now: () => clock, minIntervalMs: 100 });
    for (let i = 1; i <= 1000; i++) {
      clock = i;
      bar.update(i, 1000, 'epoch 1');
    }
    // draws at t = 1, 101, ..., 901 (10) plus the forced one at 1000/1000
    assert.equal(stream.out.length, 11);
    for (const s of stream.out) {
      assert.ok(s.startsWith('\r\x1b[2K') && !s.includes('\n'));
      assert.ok(s.length - 5 < 40, 'line kept narrower than the terminal');
    }
    bar.finish();
    assert.ok((stream.out.at(-1) as string).endsWith('\n'));
  });
});

test('formatDuration', () => {
  assert.equal(formatDuration(4500), '4.5s');
  assert.equal(formatDuration(42_000), '42s');
  assert.equal(formatDuration(185_000), '3m05s');
  assert.equal(formatDuration(3_720_000), '1h02m');
  assert.equal(formatDuration(Number.NaN), '--');
});
