import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bsPrice } from '../../../processors/math/black-scholes.ts';
import type { OptionChainSnapshot } from '../../../schemas/index.ts';
import { ingestFile } from '../../../sources/ingest/index.ts';
import { FIXTURES, readTopic, withLog } from './ingest-helpers.ts';

// 2026-08-18 10:43 IST = 1787029980 s and 15:30 IST = 1787047200 s (GNU date).
const T1043 = 1787029980_000;
const EXP_18AUG = 1787047200_000;
const EXP_25AUG = EXP_18AUG + 7 * 86_400_000;

describe('option chain importers', () => {
  test('long CSV: percent IV, bad right, spot 0 snapshot, snapshots after the close, stale repeat, computed IV', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'chain-long.csv'), format: 'option-chain-long', tz: 'Asia/Kolkata' });
      assert.equal(s.accepted, 1);
      // 15:31 and 15:33 are after NSE's 15:30 close; 15:32 repeats 15:31's raw fields (stale).
      assert.deepEqual(s.reasons, { 'outside-session': 2, 'spot-not-positive': 1 });
      assert.equal(s.stale, 1);
      assert.deepEqual(s.rowReasons, { 'bad-right': 1 });
      assert.equal(s.ivUnit, 'percent');
      assert.equal(s.ivComputed, 1);
      const snaps = await readTopic<OptionChainSnapshot>(access, 'options');
      assert.equal(snaps.length, 1);
      const first = snaps[0]!;
      assert.equal(first.tsEvent, T1043);
      assert.equal(first.tsInit, T1043);
      assert.equal(first.underlying, 'NIFTY50');
      assert.deepEqual(first.contracts.map((c) => [c.expiry, c.right]), [[EXP_18AUG, 'C'], [EXP_18AUG, 'P'], [EXP_25AUG, 'C']]);
      assert.equal(first.contracts[0]!.iv, 0.125);
      assert.equal(first.contracts[0]!.delta, 0.55);
      // The computed IV reprices the contract's last price.
      const c = first.contracts[2]!;
      assert.ok(c.iv !== null && c.iv > 0 && c.iv < 5);
      const T = (EXP_25AUG - T1043) / (365 * 86_400_000);
      assert.ok(Math.abs(bsPrice('C', 24212.8, 24300, T, 0, c.iv) - 150) < 1e-6);
      assert.ok(c.delta !== null && c.delta > 0 && c.delta < 1);
      const again = await ingestFile(access, { file: join(FIXTURES, 'chain-long.csv'), format: 'option-chain-long', tz: 'Asia/Kolkata' });
      assert.equal(again.accepted, 0);
      assert.equal(again.reasons['duplicate'], 1);
    }));

  test('long CSV on a 24/7 calendar: every snapshot in session, the repeat still stale', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'chain-long.csv'), format: 'option-chain-long', tz: 'Asia/Kolkata', calendar: 'crypto' });
      assert.equal(s.accepted, 3);
      assert.deepEqual(s.reasons, { 'spot-not-positive': 1 });
      assert.equal(s.stale, 1);
      const snaps = await readTopic<OptionChainSnapshot>(access, 'options');
      assert.equal(snaps[2]!.contracts[0]!.expiry, snaps[0]!.contracts[2]!.expiry); // ISO expiry 2026-08-25 equals 25-Aug-2026
    }));

  test('wide CE_/PE_ with fraction IV, extra column ignored', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'chain-wide-ce.csv'), format: 'option-chain-wide' });
      assert.equal(s.accepted, 1);
      assert.equal(s.ivUnit, 'fraction');
      const [snap] = await readTopic<OptionChainSnapshot>(access, 'options');
      assert.equal(snap!.spot, 24200);
      assert.deepEqual(snap!.contracts.map((c) => [c.strike, c.right, c.iv, c.openInterest]), [
        [24200, 'C', 0.12, 100], [24200, 'P', 0.13, 120], [24300, 'C', 0.115, 80], [24300, 'P', 0.125, 60],
      ]);
    }));

  test('wide call_/put_ without IV: IV solved, empty side not listed', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'chain-wide-call.csv'), format: 'option-chain-wide', tz: 'Asia/Kolkata' });
      assert.equal(s.accepted, 1);
      assert.equal(s.ivComputed, 3);
      const [snap] = await readTopic<OptionChainSnapshot>(access, 'options');
      assert.deepEqual(snap!.contracts.map((c) => [c.strike, c.right]), [[24200, 'C'], [24200, 'P'], [24400, 'P']]);
      assert.equal(snap!.tsEvent, T1043);
      for (const c of snap!.contracts) assert.ok(c.iv !== null && c.iv > 0 && c.iv < 5, `iv ${String(c.iv)}`);
    }));
});

describe('--snapshot-window', () => {
  // 2026-08-18 10:00:00 IST = 1787027400000 (10:43 IST is 1787029980000, 43 minutes later).
  const T = 1787027400_000;
  const header = 'timestamp,symbol,expiry,strike,option_type,spot,ltp,volume,oi';
  const row = (ms: number, u: string, strike: number, right: string, ltp: number): string => `${ms},${u},25-Aug-2026,${strike},${right},24200,${ltp},10,100`;
  const csv = [
    header,
    row(T, 'NIFTY', 24200, 'CE', 100),
    row(T + 10, 'BANKNIFTY', 51000, 'CE', 300),
    row(T + 40, 'NIFTY', 24200, 'PE', 90),
    row(T + 300, 'NIFTY', 24200, 'CE', 101), // same contract again inside the window: replaces the first
    row(T + 2_000, 'NIFTY', 24200, 'CE', 102), // past the window: the next snapshot
  ].join('\n');

  test('rows of an underlying within the window form one snapshot stamped at its last row; a repeat supersedes', () =>
    withLog(async (access) => {
      const dir = mkdtempSync(join(tmpdir(), 'tickflow-window-'));
      try {
        const file = join(dir, 'c.csv');
        writeFileSync(file, `${csv}\n`);
        const s = await ingestFile(access, { file, format: 'option-chain-long', snapshotWindowMs: 1_000 });
        assert.equal(s.accepted, 3);
        assert.deepEqual(s.rowReasons, { superseded: 1 });
        const snaps = await readTopic<OptionChainSnapshot>(access, 'options');
        const byKey = snaps.map((x) => [x.underlying, x.tsEvent, x.contracts.map((c) => `${c.right}${c.last}`).join(' ')] as const);
        byKey.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
        assert.deepEqual(byKey, [
          ['BANKNIFTY', T + 10, 'C300'],
          ['NIFTY', T + 300, 'C101 P90'],
          ['NIFTY', T + 2_000, 'C102'],
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }));
});
