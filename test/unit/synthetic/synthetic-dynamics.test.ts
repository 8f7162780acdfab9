import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SyntheticMarket, syntheticConfig } from '../../../sources/synthetic/index.ts';
import { DEFAULT_LABEL_CONFIG, classify } from '../../../processors/labels.ts';
import { binaryAuc, macroAuc } from '../../../processors/math/auc.ts';

// One long sample at signal strength 0 (20 days, 0.3 trades/s per symbol), measured from the
// delivered events only, as tickflow would see them.
const DAYS = 20;
const config = syntheticConfig({
  days: DAYS, seed: 11, signalStrength: 0,
  symbols: [{ symbol: 'BTC', baseTradesPerSecond: 0.3 }, { symbol: 'ETH', baseTradesPerSecond: 0.3 }],
  options: { intervalMs: 86_400_000 },
});
const market = new SyntheticMarket(config);
const MIN = 60_000;
const nMin = DAYS * 1440;
const perSymbol = new Map(config.symbols.map((s) => [s.symbol, {
  minuteClose: new Float64Array(nMin).fill(Number.NaN),
  barBuy: new Float64Array(nMin / 5), barVol: new Float64Array(nMin / 5), barCount: new Float64Array(nMin / 5),
}]));
const hourCounts = new Array<number>(24).fill(0);
let trades = 0, bad = 0, late = 0;
for (const e of market.events()) {
  if (e.topic !== 'trades') continue;
  const t = e.value;
  trades++;
  if (!(t.price > 0 && t.size > 0)) { bad++; continue; }
  if (t.tsInit - t.tsEvent >= 60_000) { late++; continue; }
  const s = perSymbol.get(t.symbol)!;
  const m = Math.floor((t.tsEvent - config.start) / MIN);
  s.minuteClose[m] = t.price; // trades of a symbol arrive in event order up to a few ms
  const k = Math.floor(m / 5);
  s.barVol[k]! += t.size;
  if (t.side === 'BUY') s.barBuy[k]! += t.size;
  s.barCount[k]!++;
  hourCounts[Math.floor(t.tsEvent / 3_600_000) % 24]!++;
}

describe('synthetic dynamics (20 days, strength 0)', () => {
  test('realized volatility matches the configured diffusion plus jump variance', () => {
    const expected = Math.sqrt(0.5 ** 2 + config.jumpsPerDay * 365 * config.jumpStd ** 2);
    for (const [sym, s] of perSymbol) {
      let sum = 0, n = 0;
      for (let m = 1; m < nMin; m++) {
        const a = s.minuteClose[m - 1]!, b = s.minuteClose[m]!;
        if (a > 0 && b > 0) { sum += Math.log(b / a) ** 2; n++; }
      }
      const vol = Math.sqrt((sum / n) * 525_600);
      assert.ok(Math.abs(vol / expected - 1) < 0.05, `${sym}: realized ${vol.toFixed(4)} vs ${expected.toFixed(4)}`);
    }
  });

  test('intraday seasonality is visible in trade counts (peak 14:00 UTC, amplitude 0.5)', () => {
    const mean = hourCounts.reduce((a, b) => a + b, 0) / 24;
    const prof = hourCounts.map((_, h) => Math.cos((2 * Math.PI * (h + 0.5 - 14)) / 24));
    let sxy = 0, sxx = 0, syy = 0;
    hourCounts.forEach((c, h) => { sxy += (c - mean) * prof[h]!; sxx += prof[h]! ** 2; syy += (c - mean) ** 2; });
    assert.ok(sxy / Math.sqrt(sxx * syy) > 0.85, `correlation ${sxy / Math.sqrt(sxx * syy)}`);
    const amplitude = sxy / sxx / mean; // ~0.5 * sinc of the hour bucket = 0.497
    assert.ok(amplitude > 0.35 && amplitude < 0.65, `amplitude ${amplitude}`);
  });

  test('regimes make trade counts per bar overdispersed relative to a seasonal Poisson process', () => {
    const s = perSymbol.get('BTC')!;
    const c = Array.from(s.barCount);
    const mean = c.reduce((a, b) => a + b, 0) / c.length;
    const variance = c.reduce((a, b) => a + (b - mean) ** 2, 0) / c.length;
    // Seasonality alone gives variance ~ mean + (0.5 mean)^2 / 2; regimes add much more.
    assert.ok(variance > mean + 0.125 * mean * mean + 0.2 * mean * mean, `var ${variance} mean ${mean}`);
  });

  test('bad and late trades at roughly the default rates (1e-5, 1e-4)', () => {
    const within = (k: number, p: number): boolean => Math.abs(k - trades * p) < 4 * Math.sqrt(trades * p) + 2;
    assert.ok(within(bad, 1e-5), `bad ${bad} of ${trades}`);
    assert.ok(within(late, 1e-4), `late ${late} of ${trades}`);
  });

  test('nothing predicts the label: OFI and activity give AUC ~0.5, bayesAuc is exactly 0.5', () => {
    const h = DEFAULT_LABEL_CONFIG.horizonBars;
    const probs: number[][] = [];
    const labels: number[] = [];
    const counts: number[] = [];
    for (const s of perSymbol.values()) {
      const close = (k: number): number => s.minuteClose[k * 5 + 4]! > 0 ? s.minuteClose[k * 5 + 4]! : Number.NaN;
      for (let k = 0; k + h < nMin / 5; k++) {
        const r = Math.log(close(k + h) / close(k));
        if (!Number.isFinite(r) || s.barVol[k] === 0) continue;
        const ofi = (2 * s.barBuy[k]!) / s.barVol[k]! - 1;
        probs.push([ofi, -Math.abs(ofi), -ofi]);
        labels.push(classify(r, DEFAULT_LABEL_CONFIG.flatBand));
        counts.push(s.barCount[k]!);
      }
    }
    assert.ok(labels.length > 10_000);
    const ofiAuc = macroAuc(probs, labels) as number;
    assert.ok(Math.abs(ofiAuc - 0.5) < 0.02, `OFI predictor AUC ${ofiAuc}`);
    const activityAuc = binaryAuc(counts, labels.map((l) => l === 1)) as number;
    assert.ok(Math.abs(activityAuc - 0.5) < 0.02, `activity -> FLAT AUC ${activityAuc}`);
    assert.equal(market.bayesAuc(), 0.5);
  });
});
