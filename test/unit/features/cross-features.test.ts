/**
 * cross-v1: known answers against the independent numpy/pandas reference
 * (test/fixtures/cross/make_reference.py → bars.csv, reference.json), and the hold rule of
 * computeFeatures that makes a symbol's cross columns independent of which symbol's bar closed
 * first (no look-ahead, any interleaving, checkpoint cuts, a silent reference).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { from, toArray, firstValueFrom } from 'rxjs';
import { GraphStateRegistry } from '../../../processors/checkpoint/state-registry.ts';
import { decodeState, encodeState } from '../../../processors/checkpoint/state-codec.ts';
import { CORE_FEATURE_SET } from '../../../processors/features/full/core-feature-set.ts';
import { CROSS_FEATURE_SET, crossFeatureSet, percentileRankOfLast } from '../../../processors/features/cross/index.ts';
import { FULL_FEATURE_SET } from '../../../processors/features/full/index.ts';
import { PATTERNS_FEATURE_SET } from '../../../processors/features/patterns/index.ts';
import { featureSetByHash, featureSetById } from '../../../processors/graph.ts';
import { newGraphStats, type Flow } from '../../../processors/graph-events.ts';
import { computeFeatures } from '../../../processors/operators/compute-features.ts';
import type { Bar } from '../../../schemas/index.ts';

const FIX = new URL('../../fixtures/cross/', import.meta.url);
interface RefRow { end: number; corr: number | null; beta: number | null; rs: number | null; refRet: number | null; refRv: number | null }
const REF = JSON.parse(readFileSync(new URL('reference.json', FIX), 'utf8')) as {
  params: { stepMs: number; corrBars: number; minPairs: number; rsBars: number; rankBars: number };
  cross: RefRow[];
  rank: { values: (number | null)[]; expected: (number | null)[] };
};
const M5 = 300_000;

function mkBar(symbol: string, end: number, close: number, interval = '5m'): Bar {
  const len = interval === '1m' ? 60_000 : M5;
  return { tsEvent: end, tsInit: end + 2_000, symbol, interval, start: end - len, end, open: close, high: close * 1.001, low: close * 0.999, close, volume: 2, buyVolume: 1, vwap: close, trades: 3 };
}

function loadBars(): Bar[] {
  const lines = readFileSync(new URL('bars.csv', FIX), 'utf8').trim().split('\n');
  assert.equal(lines.shift(), 'symbol,end,close');
  return lines.map((l) => {
    const [s, e, c] = l.split(',');
    return mkBar(s as string, Number(e), Number(c));
  });
}

/** Same rule as test/fixtures/features/README.md: relative 1e-9, null exactly where the reference is null. */
function close(got: number | null | undefined, want: number | null, what: string): void {
  if (want === null) {
    assert.equal(got, null, `${what}: want null, got ${String(got)}`);
    return;
  }
  assert.equal(typeof got, 'number', `${what}: want ${want}, got ${String(got)}`);
  const g = got as number;
  assert.ok(Math.abs(g - want) <= 1e-9 * Math.max(Math.abs(g), Math.abs(want)) + 1e-15, `${what}: got ${g}, want ${want}`);
}

describe('cross-v1 known answers (numpy/pandas reference)', () => {
  test('corr, beta, relative strength, reference return and volatility at every bar of SYM', () => {
    const p = REF.params;
    const fs = crossFeatureSet('5m', { reference: 'REF', corrBars: p.corrBars, minPairs: p.minPairs, rsBars: p.rsBars, rankBars: p.rankBars });
    const bars = loadBars();
    const refCloses = new Map(bars.filter((b) => b.symbol === 'REF').map((b) => [b.end, b.close]));
    const st = fs.create('SYM');
    const want = new Map(REF.cross.map((r) => [r.end, r]));
    let n = 0;
    let withCorr = 0;
    for (const b of bars) {
      if (b.symbol !== 'SYM') continue;
      st.onBar(b);
      const v = st.vector(() => null, b.end, (e) => refCloses.get(e) ?? null);
      const r = want.get(b.end) as RefRow;
      assert.ok(r, `reference row at ${b.end}`);
      close(v.xa_corr_30, r.corr, `corr@${b.end}`);
      close(v.xa_beta_30, r.beta, `beta@${b.end}`);
      close(v.xa_rs_12, r.rs, `rs@${b.end}`);
      close(v.xa_ref_ret_1, r.refRet, `refRet@${b.end}`);
      close(v.xa_ref_rv_30, r.refRv, `refRv@${b.end}`);
      close(v.ix_rs_x_corr, r.rs === null || r.corr === null ? null : r.rs * r.corr, `ix_rs_x_corr@${b.end}`);
      n++;
      if (r.corr !== null) withCorr++;
    }
    assert.equal(n, REF.cross.length);
    assert.ok(withCorr > 50 && withCorr < n, `both null and non-null correlations are checked (${withCorr} of ${n})`);
  });

  test('percentile rank equals pandas rolling(48).rank(pct=True), ties averaged, null with a missing value', () => {
    const { values, expected } = REF.rank;
    const n = REF.params.rankBars;
    let checked = 0;
    for (let i = n - 1; i < values.length; i++) {
      close(percentileRankOfLast(values.slice(i - n + 1, i + 1)), expected[i] ?? null, `rank@${i}`);
      checked++;
    }
    assert.ok(expected.some((x) => x === null) && checked > 90);
  });

  test('the reference against itself: corr 1, beta 1, relative strength 0', () => {
    const fs = crossFeatureSet('5m', { reference: 'REF' });
    const bars = loadBars().filter((b) => b.symbol === 'REF');
    const closes = new Map(bars.map((b) => [b.end, b.close]));
    const st = fs.create('REF');
    let v: Record<string, number | null> = {};
    for (const b of bars) {
      st.onBar(b);
      v = st.vector(() => null, b.end, (e) => closes.get(e) ?? null);
    }
    close(v.xa_corr_30, 1, 'corr');
    close(v.xa_beta_30, 1, 'beta');
    assert.equal(v.xa_rs_12, 0);
  });
});

describe('cross-v1 identity and selection', () => {
  test('cross-v1 hash covers the reference; lookup by id and hash; other sets have no reference', () => {
    const btc = featureSetById('cross:BTC');
    assert.equal(btc.reference, 'BTC');
    assert.notEqual(btc.hash, CROSS_FEATURE_SET.hash);
    assert.equal(featureSetById('cross').hash, CROSS_FEATURE_SET.hash);
    assert.equal(CROSS_FEATURE_SET.reference, 'BTCUSDT');
    assert.equal(featureSetByHash(btc.hash), btc);
    const qqq = featureSetById('cross-v1:QQQ', '1h');
    assert.equal(featureSetByHash(qqq.hash), qqq);
    assert.deepEqual(CROSS_FEATURE_SET.names.slice(0, CORE_FEATURE_SET.names.length), [...CORE_FEATURE_SET.names]);
    for (const s of [CORE_FEATURE_SET, FULL_FEATURE_SET, PATTERNS_FEATURE_SET]) assert.equal(s.reference, undefined, s.id);
  });
});

// ---------------------------------------------------------------------------------------------
// The hold rule inside computeFeatures.

let offset = 0;
function flow(b: Bar): Flow {
  const o = offset++;
  return { kind: 'bar', bar: b, inputs: [{ topic: 'trades', partition: 0, fromOffset: o, toOffset: o }] };
}

/** A two-symbol market: per 5m bar end, 1m bars then the 5m bar, for REF and SYM (SYM skips some ends). */
function market(n: number, skipSym: (k: number) => boolean = () => false): { ref: Bar[][]; sym: Bar[][] } {
  const ref: Bar[][] = [];
  const sym: Bar[][] = [];
  let cr = 100;
  let cs = 50;
  for (let k = 1; k <= n; k++) {
    const end = k * M5;
    const dr = Math.sin(k * 1.7) * 0.01;
    cr *= Math.exp(dr);
    cs *= Math.exp(1.3 * dr + Math.cos(k * 2.3) * 0.004);
    // The 1m bar ending at the same instant closes first (interval rank), as buildBars emits them.
    const group = (s: string, c: number): Bar[] => [mkBar(s, end, c, '1m'), mkBar(s, end, c)];
    ref.push(group('REF', cr));
    sym.push(skipSym(k) ? [] : group('SYM', cs));
  }
  return { ref, sym };
}

function run(fs: ReturnType<typeof crossFeatureSet>, flows: Flow[]): Flow[] {
  const out: Flow[] = [];
  from(flows).pipe(computeFeatures(fs, '5m', newGraphStats())).subscribe((f) => out.push(f));
  return out;
}

/** Per symbol, the sequence of bars and vectors it got (what must not depend on the interleaving). */
function perSymbol(out: Flow[]): Map<string, unknown[]> {
  const m = new Map<string, unknown[]>();
  for (const f of out) {
    let key: string;
    let item: unknown[];
    if (f.kind === 'bar') [key, item] = [f.bar.symbol, ['bar', f.bar.interval, f.bar.end]];
    else if (f.kind === 'features') [key, item] = [f.vector.symbol, ['features', f.vector.barEnd, f.vector.features]];
    else continue;
    if (!m.has(key)) m.set(key, []);
    (m.get(key) as unknown[]).push(item);
  }
  return m;
}

describe('computeFeatures with a reference (hold rule)', () => {
  const fs = crossFeatureSet('5m', { reference: 'REF', corrBars: 10, minPairs: 5, rsBars: 3, rankBars: 5, holdBars: 4 });
  const n = 40;

  test('the same vectors whether the reference closes before, after or several bars behind the symbol', () => {
    const { ref, sym } = market(n, (k) => k % 7 === 0);
    const refFirst = ref.flatMap((r, k) => [...r, ...(sym[k] as Bar[])]).map(flow);
    const symFirst = ref.flatMap((r, k) => [...(sym[k] as Bar[]), ...r]).map(flow);
    // The reference 3 bars late (within holdBars 4): its bar k arrives after the symbol's bar k+3.
    const lagged: Bar[] = [];
    for (let k = 0; k < n + 3; k++) {
      if (k < n) lagged.push(...(sym[k] as Bar[]));
      if (k - 3 >= 0) lagged.push(...(ref[k - 3] as Bar[]));
    }
    const a = perSymbol(run(fs, refFirst));
    const b = perSymbol(run(fs, symFirst));
    const c = perSymbol(run(fs, lagged.map(flow)));
    assert.deepEqual(b, a);
    assert.deepEqual(c, a);
    const vecs = (a.get('SYM') as unknown[]).filter((x) => (x as unknown[])[0] === 'features') as [string, number, Record<string, number | null>][];
    assert.ok(vecs.filter((v) => v[2].xa_corr_10 !== null).length > 20, 'correlations were computed');
    // With no reference rule, the symbol's last bars would depend on the order; here the symbol's
    // bars after the reference's last one simply wait (none of them is emitted early).
    assert.equal(vecs.length, sym.filter((g) => g.length > 0).length);
  });

  test('no look-ahead: changing the reference after t leaves every vector up to t unchanged', () => {
    const { ref, sym } = market(n);
    const t = 25 * M5;
    const altered = ref.map((g) => g.map((b) => (b.end > t ? { ...b, close: b.close * 1.5 } : b)));
    const order = (r: Bar[][]): Flow[] => r.flatMap((g, k) => [...(sym[k] as Bar[]), ...g]).map(flow);
    const vecsUpTo = (out: Flow[]): unknown[] => out.filter((f) => f.kind === 'features' && f.vector.barEnd <= t).map((f) => (f.kind === 'features' ? f.vector : null));
    const base = run(fs, order(ref));
    const alt = run(fs, order(altered));
    assert.deepEqual(vecsUpTo(alt), vecsUpTo(base));
    const after = (out: Flow[]): unknown[] => out.filter((f) => f.kind === 'features' && f.vector.symbol === 'SYM' && f.vector.barEnd > t + 2 * M5).map((f) => (f.kind === 'features' ? f.vector.features.xa_rs_3 : null));
    assert.notDeepEqual(after(alt), after(base), 'the altered reference does change later vectors (the test can fail)');
  });

  test('a silent reference holds a symbol at most holdBars signal bars, then its cross columns are null', () => {
    const { sym } = market(12);
    const out = run(fs, sym.flat().map(flow));
    const vecs = out.filter((f) => f.kind === 'features');
    // 12 signal bars, 4 held back at the end.
    assert.equal(vecs.length, 8);
    for (const f of vecs) if (f.kind === 'features') assert.equal(f.vector.features.xa_corr_10, null);
    // Each symbol's bars still come in their order, each vector right after its bar.
    out.forEach((f, i) => {
      if (f.kind === 'features') {
        const prev = out[i - 1];
        assert.ok(prev?.kind === 'bar' && prev.bar.end === f.vector.barEnd && prev.bar.interval === '5m');
      }
    });
  });

  test('a checkpoint at any input, restored into a fresh operator, gives the same outputs as an unbroken run', async () => {
    const { ref, sym } = market(30, (k) => k % 5 === 0);
    const flows: Flow[] = [];
    for (let k = 0; k < 32; k++) {
      if (k < 30) flows.push(...(sym[k] as Bar[]).map(flow));
      if (k - 2 >= 0 && k - 2 < 30) flows.push(...(ref[k - 2] as Bar[]).map(flow));
    }
    const whole = run(fs, flows);
    for (const cut of [1, 7, 20, 33, 50, flows.length - 1]) {
      const reg1 = new GraphStateRegistry();
      const first = await firstValueFrom(from(flows.slice(0, cut)).pipe(computeFeatures(fs, '5m', newGraphStats(), reg1), toArray()));
      const saved = encodeState(reg1.snapshotParts());
      const reg2 = new GraphStateRegistry();
      const op = computeFeatures(fs, '5m', newGraphStats(), reg2);
      reg2.restoreParts(decodeState(saved) as Record<string, unknown>);
      const rest = await firstValueFrom(from(flows.slice(cut)).pipe(op, toArray()));
      assert.deepEqual([...first, ...rest], whole, `cut at ${cut}`);
    }
  });
});
