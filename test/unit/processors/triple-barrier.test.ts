import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TripleBarrierLabeller, type BarrierOutcome, type LabelBar } from '../../../processors/labels.ts';

// Hand-made bars, one minute each. The first three closes 100, 102, 100 give the one-bar log
// returns ln 1.02 and ln(100/102) = -ln 1.02; the sample std of two values a, b is |a - b| / sqrt 2
// (textbook: mean (a+b)/2, squared deviations 2((a-b)/2)^2, divided by n - 1 = 1), so with
// volBars 2, sigma at the third bar = 2 ln 1.02 / sqrt 2 = sqrt 2 * ln 1.02 ~ 0.028005, and with
// up = down = 1 the barriers from c0 = 100 are 100 e^sigma ~ 102.84 and 100 e^-sigma ~ 97.24.
const I = 60_000;
const SIGMA = Math.SQRT2 * Math.log(1.02);
const EPS = 1e-12;

const flat = (end: number, close: number): LabelBar => ({ end, open: close, high: close, low: close, close });
const bar = (k: number, open: number, high: number, low: number, close: number): LabelBar => ({ end: k * I, open, high, low, close });

/** A labeller with the three warm-up bars and one row at the third (barEnd 3I, c0 100). */
function started(up = 1, down = 1, bars = 3): TripleBarrierLabeller<string> {
  const l = new TripleBarrierLabeller<string>({ up, down, bars, volBars: 2 }, I);
  for (const [k, c] of [[1, 100], [2, 102], [3, 100]] as const) assert.deepEqual(l.bar('X', flat(k * I, c)), []);
  assert.equal(l.row('X', 3 * I, 'r'), true);
  return l;
}

function only(outs: BarrierOutcome<string>[]): Exclude<BarrierOutcome<string>, { missing: true }> {
  assert.equal(outs.length, 1);
  const o = outs[0]!;
  assert.equal(o.missing, false);
  return o;
}

describe('triple-barrier labels (processors/labels.ts)', () => {
  test('upper barrier first: UP at the touching bar, its return the barrier (up x sigma)', () => {
    const l = started();
    const o = only(l.bar('X', bar(4, 100, 103, 99, 101)));
    assert.equal(o.cls, 0);
    assert.equal(o.by, 'up');
    assert.equal(o.labelEnd, 4 * I);
    assert.equal(o.barEnd, 3 * I);
    assert.ok(Math.abs(o.ret - SIGMA) < EPS, `${o.ret}`);
    assert.equal(l.pending(), 0);
  });

  test('lower barrier first: DOWN at the bar whose low reaches it; the label ends there, before the time limit', () => {
    const l = started();
    assert.deepEqual(l.bar('X', bar(4, 100, 101, 99, 100)), []);
    const o = only(l.bar('X', bar(5, 100, 100.5, 97, 98)));
    assert.equal(o.cls, 2);
    assert.equal(o.labelEnd, 5 * I);
    assert.ok(Math.abs(o.ret + SIGMA) < EPS);
  });

  test('both barriers inside one bar: the conservative rule, DOWN at the stop', () => {
    const o = only(started().bar('X', bar(4, 100, 104, 96, 101)));
    assert.equal(o.cls, 2);
    assert.equal(o.by, 'down');
    assert.ok(Math.abs(o.ret + SIGMA) < EPS);
  });

  test('a bar that opens beyond a barrier touched it at the open: UP at the gap return even if its low then reaches the stop', () => {
    const o = only(started().bar('X', bar(4, 104, 105, 96, 97)));
    assert.equal(o.cls, 0);
    assert.ok(Math.abs(o.ret - Math.log(1.04)) < EPS);
    const d = only(started().bar('X', bar(4, 95, 104, 94, 103)));
    assert.equal(d.cls, 2);
    assert.ok(Math.abs(d.ret - Math.log(0.95)) < EPS);
  });

  test('time limit: neither barrier in 3 bars gives FLAT at the third bar, its return the close', () => {
    const l = started();
    assert.deepEqual(l.bar('X', bar(4, 100, 102, 98, 101)), []);
    assert.deepEqual(l.bar('X', bar(5, 101, 102.5, 98, 99)), []);
    const o = only(l.bar('X', bar(6, 99, 102, 98, 101)));
    assert.equal(o.cls, 1);
    assert.equal(o.by, 'timeout');
    assert.equal(o.labelEnd, 6 * I);
    assert.ok(Math.abs(o.ret - Math.log(1.01)) < EPS);
  });

  test('barriers scale with up and down: a 2 sigma target is not touched at 103 but at 106', () => {
    const l = started(2, 1, 3);
    assert.deepEqual(l.bar('X', bar(4, 100, 103, 99, 102)), []); // 100 e^(2 sigma) ~ 105.76
    const o = only(l.bar('X', bar(5, 102, 106, 101, 105)));
    assert.equal(o.cls, 0);
    assert.ok(Math.abs(o.ret - 2 * SIGMA) < EPS);
  });

  test('end of data: a row whose path has not ended has no label (still pending)', () => {
    const l = started();
    assert.deepEqual(l.bar('X', bar(4, 100, 101, 99, 100)), []);
    assert.equal(l.pending(), 1);
  });

  test('a missing time-limit bar (a gap in trading) with no earlier touch: no label', () => {
    const l = started();
    assert.deepEqual(l.bar('X', bar(4, 100, 101, 99, 100)), []);
    const outs = l.bar('X', bar(7, 100, 101, 99, 100));
    assert.deepEqual(outs, [{ row: 'r', barEnd: 3 * I, missing: true }]);
  });

  test('no sigma before volBars returns: the row is refused; symbols are independent', () => {
    const l = new TripleBarrierLabeller<string>({ up: 1, down: 1, bars: 3, volBars: 2 }, I);
    l.bar('X', flat(I, 100));
    l.bar('X', flat(2 * I, 101));
    assert.equal(l.row('X', 2 * I, 'early'), false); // one return only
    l.bar('Y', flat(I, 50));
    assert.equal(l.row('Y', I, 'y'), false);
    l.bar('X', flat(3 * I, 101)); // returns ln(1.01), 0: sigma > 0
    assert.equal(l.row('X', 3 * I, 'ok'), true);
    assert.deepEqual(l.bar('Y', bar(4, 60, 60, 60, 60)), []); // Y's bars do not touch X's row
    assert.equal(l.pending(), 1);
  });
});
