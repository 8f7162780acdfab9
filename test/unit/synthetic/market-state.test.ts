import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromExactJson, toExactJson } from '../../../lib/exact-json.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { SyntheticMarket, syntheticConfig, type SyntheticConfigInput } from '../../../sources/synthetic/index.ts';

/**
 * A generator restored from a saved state continues exactly as an uninterrupted one: over random
 * seeds, symbol sets (every symbol has option chains, so chain state is in each case) and cut
 * points, the events after the cut are equal, value for value (exact JSON tells -0, NaN apart),
 * to those the uninterrupted stream gives after the same event. The cut points are drawn by a
 * seeded Rng, so a failure names its case.
 */
const SYMBOL_SETS: NonNullable<SyntheticConfigInput['symbols']>[] = [
  [{ symbol: 'BTC' }],
  [{ symbol: 'BTC' }, { symbol: 'ETH' }],
  [{ symbol: 'ETH' }, { symbol: 'SOL', initialPrice: 150, tickSize: 0.01 }, { symbol: 'BTC', baseTradesPerSecond: 2 }],
];

describe('MarketStream state', () => {
  const pick = new Rng(20261130);
  for (let k = 0; k < 6; k++) {
    const seed = 1 + pick.nextUint32() % 1000;
    const symbols = SYMBOL_SETS[k % SYMBOL_SETS.length] as NonNullable<SyntheticConfigInput['symbols']>;
    // Many bad and late trades, so dead letters and late events are in the queue at some cuts.
    const config = syntheticConfig({ days: 0.04, seed, symbols, badTradeRate: 0.01, lateTradeRate: 0.01, options: { intervalMs: 30_000 } });
    const market = new SyntheticMarket(config);
    const all = [...market.events()].map((e) => toExactJson(e));
    const cuts = [0, all.length, ...Array.from({ length: 4 }, () => Math.floor(pick.next() * all.length))];
    test(`seed ${seed}, ${config.symbols.length} symbols, ${all.length} events, cuts ${cuts.join(' ')}`, () => {
      assert.ok(all.some((e) => e.includes('"options"')) && all.some((e) => e.includes('"trades"')));
      for (const cut of cuts) {
        const first = market.stream();
        for (let i = 0; i < cut; i++) assert.equal(toExactJson(first.next().value), all[i]);
        const state = first.snapshot();
        const resumed = market.resume(state);
        assert.ok(resumed !== null, 'a state of this generator is taken back');
        assert.equal(resumed.taken, cut);
        const rest: string[] = [];
        for (let r = resumed.next(); !r.done; r = resumed.next()) rest.push(toExactJson(r.value));
        assert.deepEqual(rest, all.slice(cut), `events after cut ${cut}`);
        // The original stream, taken on after its snapshot, is not disturbed by it.
        const tail: string[] = [];
        for (let r = first.next(); !r.done; r = first.next()) tail.push(toExactJson(r.value));
        assert.equal(tail.length, all.length - cut);
      }
    });
  }

  test('a state of another config or other generator code is refused (null: regenerate)', () => {
    const config = syntheticConfig({ days: 0.01, seed: 3 });
    const s = new SyntheticMarket(config).stream();
    for (let i = 0; i < 100; i++) s.next();
    const state = s.snapshot();
    assert.equal(new SyntheticMarket(syntheticConfig({ days: 0.01, seed: 4 })).resume(state), null);
    const foreign = fromExactJson(state) as { code: string };
    foreign.code = 'gen-0000000000000000';
    assert.equal(new SyntheticMarket(config).resume(toExactJson(foreign)), null);
    assert.equal(new SyntheticMarket(config).resume('{not json'), null);
    assert.notEqual(new SyntheticMarket(config).resume(state), null);
  });

  test('exact JSON gives back -0, NaN and the infinities', () => {
    const v = [-0, 0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1 + 0.2, 5e-324];
    const back = fromExactJson(toExactJson(v)) as number[];
    v.forEach((x, i) => assert.ok(Object.is(back[i], x), `${x}`));
  });
});
