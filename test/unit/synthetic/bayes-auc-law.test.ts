import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SyntheticMarket, bayesDataset, syntheticConfig } from '../../../sources/synthetic/index.ts';
import { classProbabilities, type ForwardLaw } from '../../../sources/synthetic/bayes-auc.ts';
import { normCdf } from '../../../processors/math/black-scholes.ts';

/** The loop bayesDataset ran inline before D109 moved it into classProbabilities: kept as the oracle. */
function inlineBefore(law: ForwardLaw, drift: number): [number, number, number] {
  const b = law.flatBand;
  const v = law.draws;
  let up = 0;
  let down = 0;
  for (const { p, sd } of law.mixture) {
    let u = 0;
    let dn = 0;
    for (let j = 0; j < v.length; j++) {
      const m = drift + (v[j] as number);
      u += normCdf((m - b) / sd);
      dn += normCdf((-b - m) / sd);
    }
    up += (p * u) / v.length;
    down += (p * dn) / v.length;
  }
  return [up, Math.max(0, 1 - up - down), down];
}

describe('classProbabilities (D109)', () => {
  const m = new SyntheticMarket(syntheticConfig({ days: 3, seed: 9, signalStrength: 2, options: { intervalMs: 86_400_000 } }));
  for (const it = m.events(); !it.next().done; ) {
    /* drain */
  }
  const d = bayesDataset(m.truth());

  test('at the known drift with no extra variance: the oracle probabilities, bit for bit as the inline loop gave them', () => {
    assert.ok(d.probs.length > 100);
    d.probs.forEach((p, i) => {
      const law = d.laws[d.symbol[i] as string] as ForwardLaw;
      assert.deepEqual(p, inlineBefore(law, d.knownDrift[i] as number));
      assert.deepEqual(classProbabilities(law, d.knownDrift[i] as number, 0), p);
    });
  });

  test('extra variance is a wider normal in every component; infinite variance leaves no information', () => {
    const law = d.laws[d.symbol[0] as string] as ForwardLaw;
    const v = 3e-6;
    const widened: ForwardLaw = { ...law, mixture: law.mixture.map((c) => ({ p: c.p, sd: Math.sqrt(c.sd * c.sd + v) })) };
    for (const drift of [-0.002, 0, 0.0015]) assert.deepEqual(classProbabilities(law, drift, v), inlineBefore(widened, drift));
    const [u0, f0, d0] = classProbabilities(law, 0.003, 1e6);
    assert.ok(Math.abs(u0 - 0.5) < 1e-3 && Math.abs(d0 - 0.5) < 1e-3 && f0 < 1e-3, `${u0} ${f0} ${d0}`);
  });
});
