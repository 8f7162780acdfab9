import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { binOf, DriftMonitor, driftReference, featureDistribution, psi } from '../../../model/evaluation/drift.ts';
import { Rng } from '../../../processors/math/rng.ts';

describe('population stability index', () => {
  test('known value: e = [0.5, 0.5], a = [0.25, 0.75] gives 0.25 ln 2 + 0.25 ln 1.5 = 0.274653 (Siddiqi 2006 formula by hand)', () => {
    assert.ok(Math.abs(psi([0.5, 0.5], [0.25, 0.75]) - (0.25 * Math.log(2) + 0.25 * Math.log(1.5))) < 1e-15);
    assert.equal(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]), 0);
    assert.ok(Number.isFinite(psi([0.5, 0.5], [1, 0])), 'an empty bin is floored, not infinite');
  });

  test('decile bins: ten bins of a tenth each on distinct values; ties merge edges', () => {
    const d = featureDistribution('x', Array.from({ length: 1000 }, (_, i) => i));
    assert.equal(d.edges.length, 9);
    for (const f of d.freq) assert.ok(Math.abs(f - 0.1) < 0.002);
    const c = featureDistribution('c', [1, 1, 1, 1, 2, Number.NaN]);
    // type-7 deciles of [1, 1, 1, 1, 2] are 1 (x7), 1.2, 1.6: the seven ties make one edge
    assert.equal(c.edges.length, 3);
    assert.ok(Math.abs((c.edges[1] as number) - 1.2) < 1e-12 && Math.abs((c.edges[2] as number) - 1.6) < 1e-12);
    assert.deepEqual(c.freq, [0, 0.8, 0, 0.2]);
    assert.equal(binOf([1, 2], 0.5), 0);
    assert.equal(binOf([1, 2], 1), 1);
    assert.equal(binOf([1, 2], 7), 2);
  });
});

describe('DriftMonitor', () => {
  const rng = new Rng(5);
  const names = ['ret', 'vol', 'spread'];
  const draw = (shift: number): Float64Array => Float64Array.from([rng.normal(), 1 + shift + 0.2 * rng.normal(), rng.exponential(10)]);
  const train = new Float64Array(3 * 4000);
  for (let i = 0; i < 4000; i++) train.set(draw(0), i * 3);
  const reference = driftReference(names, train, Uint32Array.from({ length: 4000 }, (_, i) => i));

  test('a stable stream never recommends a retrain', () => {
    const m = new DriftMonitor(reference, 500);
    let worst = 0;
    for (let i = 0; i < 5000; i++) {
      m.add(draw(0));
      const r = m.report();
      if (r === null) continue;
      assert.equal(r.recommendation, null, `row ${i}: ${JSON.stringify(r.psi)}`);
      worst = Math.max(worst, ...Object.values(r.psi));
    }
    assert.ok(worst < 0.1, `largest PSI on a stable stream ${worst}`);
  });

  test('a shift in one feature is recommended within a bounded number of rows, naming it', () => {
    const m = new DriftMonitor(reference, 500);
    for (let i = 0; i < 1000; i++) m.add(draw(0));
    assert.equal(m.report()?.recommendation, null);
    let after = -1;
    for (let i = 0; i < 500; i++) {
      m.add(draw(0.3)); // vol level up by 1.5 standard deviations
      if (m.report()?.recommendation) {
        after = i + 1;
        break;
      }
    }
    // PSI grows with the share of shifted rows in the window; it crosses 0.25 well before the window is all new
    assert.ok(after > 0 && after <= 250, `recommended after ${after} rows`);
    const r = m.report()!;
    assert.deepEqual(r.recommendation!.features, ['vol']);
    assert.equal(r.recommendation!.priority, 'medium');
    assert.match(r.recommendation!.reason, /PSI above 0.25 on vol/);
  });

  test('only important features trigger', () => {
    const m = new DriftMonitor(reference, 300, { important: ['ret'] });
    for (let i = 0; i < 600; i++) m.add(draw(0.5));
    const r = m.report()!;
    assert.ok(r.psi['vol']! > 0.25);
    assert.equal(r.recommendation, null);
  });
});
