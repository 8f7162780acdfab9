/**
 * The replay's chains (ColumnarChain, D173) against the records avsc decodes from the same bytes:
 * the nearest live expiry, its contracts, the chain features and the signal's contract are read
 * from the columns without making the chain's contract records, and must be exactly what the
 * record path gives (the reference: the same functions on avsc's record).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { avscValue } from '../../helpers/avsc-reference.ts';
import { selectContract, type ContractRule } from '../../../processors/decision/contract.ts';
import { chainFeatures } from '../../../processors/features/chain/chain-features.ts';
import { nearestExpiryContracts, nearestLiveExpiry } from '../../../processors/features/chain/live-expiry.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { ColumnarChain, OPTION_CHAIN_SNAPSHOT_SCHEMA, type OptionChainSnapshot, type OptionContract } from '../../../schemas/index.ts';
import { chainReader } from '../../../storage/serde/chain-reader.ts';

const type = avro.Type.forSchema(OPTION_CHAIN_SNAPSHOT_SCHEMA as unknown as avro.Schema);
const read = chainReader(type)!;
const T = 1_700_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Plain data (avsc's records are instances of generated classes). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

/** A random chain: expired, same-instant, near and far expiries; repeated strikes; prices missing at random. */
function randomChain(rng: Rng): OptionChainSnapshot {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
  const expiries = [T - DAY, T, T + HOUR, T + 2 * DAY, T + 9 * DAY];
  const n = pick([0, 1, 3, 12, 40]);
  const price = (): number | null => (rng.next() < 0.25 ? null : Math.round(rng.next() * 400) / 4);
  const contracts: OptionContract[] = Array.from({ length: n }, () => ({
    expiry: pick(expiries), strike: 100 + 5 * Math.floor(rng.next() * 8), right: rng.next() < 0.5 ? 'C' : 'P',
    bid: price(), ask: price(), last: price(), iv: rng.next() < 0.2 ? null : rng.next(), delta: null, gamma: rng.next() < 0.5 ? null : rng.next() / 100,
    openInterest: Math.floor(rng.next() * 500), volume: Math.floor(rng.next() * 50),
  }));
  return { tsEvent: T, tsInit: T + 50, underlying: 'NIFTY', spot: 100 + rng.next() * 40, contracts };
}

const rules: ContractRule[] = [
  { minTimeToExpiryMs: DAY, moneyness: 'ATM', maxChainAgeMs: 300_000 },
  { minTimeToExpiryMs: 0, moneyness: 'OTM1', maxChainAgeMs: 300_000 },
  { minTimeToExpiryMs: 5 * DAY, moneyness: 'OTM1', maxChainAgeMs: 300_000 },
];

test('columns give the record path\'s nearest expiry, its contracts, the chain features and the signal\'s contract, without making the chain\'s records', () => {
  const rng = new Rng(73);
  let compared = 0;
  let contractsChosen = 0;
  for (let i = 0; i < 400; i++) {
    const body = type.toBuffer(randomChain(rng));
    const record = avscValue(type, body) as OptionChainSnapshot;
    const framed = Buffer.concat([Buffer.alloc(5), body]);
    const columnar = read(framed, 5) as ColumnarChain;
    assert.ok(columnar instanceof ColumnarChain);
    const results = (c: OptionChainSnapshot): unknown[] => [
      nearestLiveExpiry(c),
      plain(nearestExpiryContracts(c)),
      chainFeatures(c),
      ...rules.flatMap((rule) => (['BUY', 'SELL'] as const).flatMap((action) => [T + 60_000, T + 400_000].map((barEnd) => selectContract(action, c, barEnd, rule)))),
    ];
    const want = results(record);
    assert.deepStrictEqual(results(columnar), want, `chain ${i}`);
    assert.notEqual(columnar.columns, null, 'the chain\'s contract records were not made');
    // The same once its records are made (the record path on the same chain).
    assert.equal(columnar.contracts.length, record.contracts.length);
    assert.deepStrictEqual(results(columnar), want, `chain ${i}, records made`);
    compared++;
    contractsChosen += want.filter((w) => typeof w === 'object' && w !== null && 'contract' in w && w.contract !== null).length;
  }
  assert.equal(compared, 400);
  assert.ok(contractsChosen > 200, `contracts chosen in ${contractsChosen} cases: the comparison covers real choices`);
});
