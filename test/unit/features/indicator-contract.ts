/**
 * The contract every streaming indicator passes (after trading-signals'
 * src/fixtures/testIndicatorContract.ts): null before warm-up and non-null after, on a series where
 * the result is defined; no NaN/Infinity; replace() semantics; reset(); snapshot → JSON → restore
 * into a fresh instance continues identically; deterministic outputs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Indicator } from '../../../processors/types.ts';

function feed<I, O>(ind: Indicator<I, O>, inputs: readonly I[]): (O | null)[] {
  return inputs.map((x) => ind.add(x));
}

function assertNoNonFinite(value: unknown, where: string): void {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${where}: non-finite ${value}`);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertNoNonFinite(v, `${where}.${k}`);
  }
}

const roundTrip = (state: unknown): unknown => JSON.parse(JSON.stringify(state));

export function indicatorContract<I, O>(name: string, factory: () => Indicator<I, O>, inputs: readonly I[]): void {
  describe(`${name}: indicator contract`, () => {
    const warmUp = factory().warmUp;
    // Reference outputs of one fresh instance; every other check compares against these.
    const expected = feed(factory(), inputs);
    // An input different from inputs[i] (another element of the series), for replace() checks.
    const other = (i: number): I => inputs[(i + 7) % inputs.length] as I;

    test('the series is long enough to test past warm-up', () => {
      assert.ok(warmUp >= 1);
      assert.ok(inputs.length >= warmUp + 5, `need at least ${warmUp + 5} inputs, got ${inputs.length}`);
    });

    test('null before warm-up, non-null from the warm-up-th input on, never NaN/Infinity', () => {
      const ind = factory();
      assert.equal(ind.getResult(), null);
      assert.equal(ind.isStable, false);
      inputs.forEach((x, i) => {
        const r = ind.add(x);
        assert.deepEqual(ind.getResult(), r, `getResult() after input ${i}`);
        if (i < warmUp - 1) {
          assert.equal(r, null, `result at input ${i} (< warm-up ${warmUp})`);
          assert.equal(ind.isStable, false, `isStable at input ${i}`);
        } else {
          assert.notEqual(r, null, `result at input ${i} (warm-up ${warmUp})`);
          assert.equal(ind.isStable, true, `isStable at input ${i}`);
        }
        assertNoNonFinite(r, `${name}[${i}]`);
      });
    });

    test('the same series gives the same outputs (bit for bit)', () => {
      assert.deepStrictEqual(feed(factory(), inputs), expected);
    });

    test('replace() with the same input changes nothing', () => {
      const ind = factory();
      inputs.forEach((x, i) => {
        ind.add(x);
        const state = JSON.stringify(ind.snapshot());
        assert.deepStrictEqual(ind.replace(x), expected[i], `replace at ${i}`);
        assert.equal(JSON.stringify(ind.snapshot()), state, `state after replace at ${i}`);
      });
    });

    test('replace() swaps the latest input: add(a); replace(b) behaves as add(b)', () => {
      const first = factory();
      assert.deepStrictEqual(first.replace(inputs[0] as I), expected[0], 'replace on an empty indicator adds');
      for (let i = 0; i < inputs.length; i++) {
        const swapped = factory();
        feed(swapped, inputs.slice(0, i));
        swapped.add(inputs[i] as I);
        const direct = factory();
        feed(direct, inputs.slice(0, i));
        assert.deepStrictEqual(swapped.replace(other(i)), direct.add(other(i)), `replace(other) at ${i}`);
        // Swapping back restores the original series and its continuation.
        assert.deepStrictEqual(swapped.replace(inputs[i] as I), expected[i], `replace back at ${i}`);
        assert.deepStrictEqual(feed(swapped, inputs.slice(i + 1)), expected.slice(i + 1), `continuation after ${i}`);
      }
    });

    test('reset() returns to the initial behaviour', () => {
      const ind = factory();
      feed(ind, inputs);
      ind.reset();
      assert.equal(ind.getResult(), null);
      assert.equal(ind.isStable, false);
      assert.deepStrictEqual(feed(ind, inputs), expected);
    });

    test('snapshot → JSON → restore into a fresh instance continues identically', () => {
      const cuts = [...new Set([0, 1, warmUp - 1, warmUp, warmUp + 1, Math.floor(inputs.length / 2), inputs.length - 1])];
      for (const k of cuts) {
        const a = factory();
        feed(a, inputs.slice(0, k));
        const b = factory();
        b.restore(roundTrip(a.snapshot()));
        assert.deepStrictEqual(b.getResult(), a.getResult(), `result after restore at ${k}`);
        assert.equal(b.isStable, a.isStable, `isStable after restore at ${k}`);
        assert.deepStrictEqual(feed(b, inputs.slice(k)), expected.slice(k), `continuation after restore at ${k}`);
        if (k > 0) {
          const c = factory();
          c.restore(roundTrip(a.snapshot()));
          assert.deepStrictEqual(c.replace(other(k)), a.replace(other(k)), `replace after restore at ${k}`);
        }
      }
    });

    test('restore() overwrites a used instance and rejects malformed state', () => {
      const a = factory();
      feed(a, inputs.slice(0, warmUp + 2));
      const used = factory();
      feed(used, inputs.slice(3));
      used.restore(roundTrip(a.snapshot()));
      assert.deepStrictEqual(feed(used, inputs.slice(warmUp + 2)), expected.slice(warmUp + 2));
      for (const bad of [null, 42, {}, [], { closes: 'x' }]) {
        assert.throws(() => factory().restore(bad), TypeError, `restore(${JSON.stringify(bad)})`);
      }
    });
  });
}
