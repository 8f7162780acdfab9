/**
 * full-v1's new bar indicators against the independent pandas/numpy reference
 * (test/fixtures/features/make_reference_full.py → reference_full.json) on the committed bars.csv,
 * at relative precision 1e-9 (assertClose of the core tests), both as single indicators and as
 * columns of the whole FULL_FEATURE_SET state fed the same bars.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Adx } from '../../../processors/features/full/adx.ts';
import { FULL_FEATURE_SET } from '../../../processors/features/full/full-feature-set.ts';
import { LagDiff } from '../../../processors/features/full/lag-diff.ts';
import { Macd } from '../../../processors/features/full/macd.ts';
import { MeanDeviation } from '../../../processors/features/full/mean-deviation.ts';
import { ParkinsonVol } from '../../../processors/features/full/parkinson-vol.ts';
import { Rsi } from '../../../processors/features/rsi.ts';
import { assertClose, loadBars } from '../features/reference-data.ts';
import { loadReferenceFull } from './reference-full.ts';

const bars = loadBars();
const ref = loadReferenceFull();

function compare(feature: string, outputs: (number | null)[]): void {
  assert.equal(outputs.length, ref.rows.length);
  assert.ok(ref.features.includes(feature), `reference has ${feature}`);
  outputs.forEach((got, i) => assertClose(got, ref.rows[i]?.[feature] ?? null, `${feature}[${i}]`));
}

describe('full-v1 indicators against the pandas reference (rel. 1e-9)', () => {
  test('the reference covers bars.csv and has values past every warm-up', () => {
    assert.deepEqual(ref.rows.map((r) => r.tsEvent), bars.map((b) => b.tsEvent));
    for (const f of ref.features) assert.ok(ref.rows.filter((r) => r[f] !== null).length >= 25, f);
  });

  test('Macd(12, 26, 9) line / signal / histogram (price units)', () => {
    const m = new Macd(12, 26, 9);
    const out = bars.map((b) => m.add(b.close));
    compare('macd_line_price', out.map((r) => r?.line ?? null));
    compare('macd_signal_price', out.map((r) => r?.signal ?? null));
    compare('macd_hist_price', out.map((r) => r?.histogram ?? null));
  });

  test('Adx(14)', () => {
    const a = new Adx(14);
    compare('adx_14', bars.map((b) => a.add(b)));
  });

  test('ParkinsonVol(20)', () => {
    const p = new ParkinsonVol(20);
    compare('parkinson_20', bars.map((b) => p.add(b)));
  });

  test('RSI momentum (LagDiff 5) and divergence (MeanDeviation 10) fed Rsi(14)', () => {
    const rsi = new Rsi(14);
    const mom = new LagDiff(5);
    const dev = new MeanDeviation(10);
    const r = bars.map((b) => rsi.add(b.close));
    compare('rsi_mom_5', r.map((x) => mom.add(x)));
    compare('rsi_div_10', r.map((x) => dev.add(x)));
  });

  test('the FULL_FEATURE_SET state gives the same columns (5m bars only, no chain)', () => {
    const st = FULL_FEATURE_SET.create('TEST');
    const vecs = bars.map((b) => {
      st.onBar(b);
      return st.vector(() => null, b.end);
    });
    const cols = ['macd_line', 'macd_signal', 'macd_hist', 'adx_14', 'parkinson_20', 'ret_5', 'ret_10', 'ret_20',
      'mom_accel_5_10', 'mom_accel_10_20', 'rv_10', 'rv_20', 'regime_score', 'rsi_mom_5', 'rsi_div_10',
      'vol_price_confirm', 'vwap_dev_20'];
    for (const c of cols) compare(c, vecs.map((v) => v[c] ?? null));
  });
});
