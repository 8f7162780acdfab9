/** Option-chain features on hand-built snapshots; expected values are computed in the comments. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OptionChainSnapshot, OptionContract } from '../../../schemas/option-chain-snapshot.ts';
import { atmIv, atmStrike } from '../../../processors/features/chain/atm-iv.ts';
import { chainFeatures } from '../../../processors/features/chain/chain-features.ts';
import { nearestLiveExpiry } from '../../../processors/features/chain/live-expiry.ts';
import { maxPainStrike } from '../../../processors/features/chain/max-pain.ts';
import { pcrOi, pcrVolume } from '../../../processors/features/chain/put-call-ratio.ts';

const T = 1_700_000_000_000;
const DAY = 86_400_000;
const E1 = T + DAY; // nearest live expiry
const E2 = T + 7 * DAY;

function k(expiry: number, strike: number, right: 'C' | 'P', openInterest: number, volume: number, iv: number | null = null): OptionContract {
  return { expiry, strike, right, bid: null, ask: null, last: null, iv, delta: null, gamma: null, openInterest, volume };
}

/** Nearest live expiry E1 with strikes 95..110; expired (T, T - 1 day) and later (E2) expiries as decoys. */
const live: OptionContract[] = [
  k(E1, 95, 'C', 10, 5, 0.4), k(E1, 95, 'P', 30, 4, 0.45),
  k(E1, 100, 'C', 20, 10, 0.3), k(E1, 100, 'P', 40, 20, 0.34),
  k(E1, 105, 'C', 40, 20, 0.28), k(E1, 105, 'P', 10, 6, 0.31),
  k(E1, 110, 'C', 30, 5, 0.27), k(E1, 110, 'P', 0, 0, null),
];
const decoys: OptionContract[] = [
  k(T, 100, 'P', 1000, 1000, 0.9), k(T, 102, 'C', 500, 500, 0.9), // expires at the snapshot instant
  k(T - DAY, 95, 'P', 700, 700, 0.8),
  k(E2, 102, 'C', 900, 900, 0.7), k(E2, 120, 'P', 900, 900, 0.7),
];
const snap = (spot: number, contracts: OptionContract[]): OptionChainSnapshot => ({ tsEvent: T, tsInit: T + 5, underlying: 'X', spot, contracts });
const chain = snap(102, [...decoys, ...live]);

describe('nearest live expiry', () => {
  test('skips expiries at or before the snapshot time', () => {
    assert.equal(nearestLiveExpiry(chain), E1);
    assert.equal(nearestLiveExpiry(snap(102, decoys.slice(0, 3))), null);
  });
});

describe('chain features of the nearest live expiry', () => {
  const f = chainFeatures(chain);

  test('pcr_oi = (30+40+10+0)/(10+20+40+30) = 0.8; pcr_volume = (4+20+6+0)/(5+10+20+5) = 0.75', () => {
    assert.equal(f.pcr_oi, 0.8);
    assert.equal(f.pcr_volume, 0.75);
  });

  test('atm_iv: strike 100 is nearest to spot 102, (0.30 + 0.34)/2', () => {
    assert.ok(f.atm_iv !== null && Math.abs(f.atm_iv - 0.32) < 1e-15);
  });

  test('max pain: pain(95)=300, pain(100)=100, pain(105)=200, pain(110)=550 → 100; dist = -2/102', () => {
    // pain(K*) = Σ_calls OI·max(0, K*-K) + Σ_puts OI·max(0, K-K*):
    //  95: puts 40·5 + 10·10 = 300;  100: calls 10·5 + puts 10·5 = 100;
    // 105: calls 10·10 + 20·5 = 200; 110: calls 10·15 + 20·10 + 40·5 = 550.
    assert.equal(maxPainStrike(live), 100);
    assert.equal(f.max_pain_dist, (100 - 102) / 102);
  });

  test('no live expiry or no snapshot → all null', () => {
    const none = { pcr_oi: null, pcr_volume: null, atm_iv: null, max_pain_dist: null };
    assert.deepEqual(chainFeatures(snap(102, decoys.slice(0, 3))), none);
    assert.deepEqual(chainFeatures(null), none);
  });
});

describe('edge cases', () => {
  test('ATM ties go to the lower strike; a missing IV side uses the other; no usable IV → null', () => {
    assert.equal(atmStrike(live, 102.5), 100);
    assert.equal(atmStrike(live, 107.5), 105);
    const callOnly = [k(E1, 100, 'C', 1, 1, 0.25), k(E1, 100, 'P', 1, 1, null), k(E1, 105, 'P', 1, 1, 0.5)];
    assert.equal(atmIv(callOnly, 101), 0.25);
    // Strike 110 is ATM at spot 111 and has only the put, whose IV is null: no fallback to 105.
    assert.equal(atmIv(live.filter((c) => c.strike !== 110 || c.right === 'P'), 111), null);
    assert.equal(atmIv([k(E1, 100, 'C', 1, 1, 0), k(E1, 100, 'P', 1, 1, NaN)], 100), null);
  });

  test('max pain ties go to the lower strike; zero open interest → null', () => {
    // pain(100) = put 1·(110-100) = 10; pain(110) = call 1·(110-100) = 10.
    assert.equal(maxPainStrike([k(E1, 100, 'C', 1, 0), k(E1, 110, 'P', 1, 0)]), 100);
    assert.equal(maxPainStrike([k(E1, 100, 'C', 0, 3), k(E1, 110, 'P', 0, 3)]), null);
    assert.equal(maxPainStrike([]), null);
  });

  test('PCR is null when the call side is 0', () => {
    const putsOnly = [k(E1, 100, 'P', 5, 5)];
    assert.equal(pcrOi(putsOnly), null);
    assert.equal(pcrVolume(putsOnly), null);
    assert.equal(pcrVolume([k(E1, 100, 'C', 5, 0), k(E1, 100, 'P', 5, 3)]), null);
    assert.equal(pcrOi([k(E1, 100, 'C', 4, 0), k(E1, 100, 'P', 0, 3)]), 0);
  });
});
