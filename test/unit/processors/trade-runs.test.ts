import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PushSource } from '../../../processors/push-source.ts';
import { newGraphStats, type Flow, type GraphEvent } from '../../../processors/graph-events.ts';
import { runPipeline, graphConfigFor } from '../../../processors/graph.ts';
import { CORE_FEATURE_SET } from '../../../processors/features/full/index.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { buildBars } from '../../../processors/operators/build-bars.ts';
import { validateInputs } from '../../../processors/operators/validate-inputs.ts';
import type { GraphInput, InputEvent, TradeInput } from '../../../processors/types.ts';
import type { OptionChainSnapshot, Trade } from '../../../schemas/index.ts';

/**
 * Runs of trades (D158) against the same trades one by one: a run must give exactly the outputs,
 * in the same order, and the same counters as its trades pushed singly. The inputs are random
 * (seeded): trades of three symbols over four partitions, some out of order (late ones among them),
 * some invalid (dead letters inside a run), option chains between runs, an undecodable record.
 */
const SYMBOLS = ['BTC', 'ETH', 'SOL'];

function inputs(seed: number, n: number): InputEvent[] {
  const rng = new Rng(seed);
  const out: InputEvent[] = [];
  const offsets = new Map<string, number>();
  const at = (topic: string, partition: number): { topic: string; partition: number; offset: number } => {
    const k = `${topic}/${partition}`;
    const offset = offsets.get(k) ?? 0;
    offsets.set(k, offset + 1);
    return { topic, partition, offset };
  };
  let t = 1_000_000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rng.next() * 900);
    const u = rng.next();
    const symbol = SYMBOLS[Math.floor(rng.next() * SYMBOLS.length)] as string;
    const partition = SYMBOLS.indexOf(symbol);
    if (u < 0.03) {
      const chain: OptionChainSnapshot = {
        tsEvent: t - 20, tsInit: t, underlying: symbol === 'SOL' ? 'ADA' : symbol, spot: 100 + rng.next(),
        contracts: [{ expiry: t + 86_400_000, strike: 100, right: 'C', bid: 1, ask: 1.2, last: 1.1, iv: 0.5, delta: 0.5, gamma: 0.01, openInterest: 10, volume: 1 }],
      };
      out.push({ kind: 'chain', pos: at('options', partition), value: chain });
      continue;
    }
    if (u < 0.035) {
      out.push({ kind: 'undecodable', pos: at('trades', partition), key: symbol, tsInit: t, reason: 'bad-magic-byte', payload: new Uint8Array([9]) });
      continue;
    }
    // Event time up to 1.5 s behind arrival, a few up to 90 s: those fall behind their symbol's watermark (late).
    const tsEvent = t - Math.floor(rng.next() * (rng.next() < 0.03 ? 90_000 : 1_500));
    const bad = rng.next() < 0.02;
    const value: Trade = { tsEvent, tsInit: t, symbol, price: bad ? -1 : 100 + 5 * rng.next(), size: 0.1 + rng.next(), side: rng.next() < 0.5 ? 'BUY' : 'SELL', tradeId: i };
    out.push({ kind: 'trade', pos: at('trades', partition), value });
  }
  return out;
}

/** The inputs with consecutive trades grouped into runs of random lengths (1..maxRun). */
function asRuns(seed: number, xs: readonly InputEvent[], maxRun: number): GraphInput[] {
  const rng = new Rng(seed);
  const out: GraphInput[] = [];
  let run: TradeInput[] = [];
  let cap = 1 + Math.floor(rng.next() * maxRun);
  const flush = (): void => {
    if (run.length > 0) out.push({ kind: 'trades', trades: run });
    run = [];
    cap = 1 + Math.floor(rng.next() * maxRun);
  };
  for (const e of xs) {
    if (e.kind !== 'trade') {
      flush();
      out.push(e);
      continue;
    }
    run.push(e);
    if (run.length >= cap) flush();
  }
  flush();
  return out;
}

function throughBars(xs: readonly GraphInput[]): { out: Flow[]; stats: ReturnType<typeof newGraphStats> } {
  const stats = newGraphStats();
  const source = new PushSource<GraphInput>();
  const out: Flow[] = [];
  source.pipe(validateInputs(stats), buildBars({ intervals: ['1m', '5m'], maxOutOfOrdernessMs: 2_000 }, stats)).subscribe((f) => out.push(f));
  for (const e of xs) source.next(e);
  source.complete();
  return { out, stats };
}

describe('runs of trades through the graph (D158)', () => {
  test('validation and bars: the same outputs in the same order and the same counters as single trades, for any grouping', () => {
    for (const seed of [1, 2, 3]) {
      const xs = inputs(seed, 6_000);
      const single = throughBars(xs);
      // The scenario exercises what it should: bars, late trades, dead letters (invalid and undecodable).
      assert.ok(single.out.filter((f) => f.kind === 'bar').length > 100, 'bars');
      assert.ok(single.stats.late > 5, `late ${single.stats.late}`);
      assert.ok((single.stats.deadLetterReasons['trade:non-positive-price'] ?? 0) > 10, 'invalid trades');
      assert.ok((single.stats.deadLetterReasons['decode:undecodable'] ?? 0) > 5, 'undecodable records');
      for (const maxRun of [1, 7, 200, 10_000]) {
        const runs = asRuns(seed * 100 + maxRun, xs, maxRun);
        if (maxRun > 1) assert.ok(runs.length < xs.length, 'some runs of several trades');
        const batched = throughBars(runs);
        assert.deepEqual(batched.out, single.out, `seed ${seed}, runs up to ${maxRun}`);
        assert.deepEqual(batched.stats, single.stats, `stats, seed ${seed}, runs up to ${maxRun}`);
      }
    }
  });

  test('the whole graph (core features): runs give the outputs of single trades', async () => {
    const xs = inputs(7, 20_000);
    const run = async (src: readonly GraphInput[]): Promise<{ out: GraphEvent[]; stats: ReturnType<typeof newGraphStats> }> => {
      const source = new PushSource<GraphInput>();
      const out: GraphEvent[] = [];
      const stats = newGraphStats();
      const done = runPipeline({ clock: { kind: 'virtual', now: () => 0 }, source, sinks: [{ onEvent: (e) => void out.push(e) }], stats, config: graphConfigFor(CORE_FEATURE_SET) });
      for (const e of src) source.next(e);
      source.complete();
      await done;
      return { out, stats };
    };
    const single = await run(xs);
    assert.ok(single.stats.features > 10, `features ${single.stats.features}`);
    const batched = await run(asRuns(8, xs, 300));
    assert.deepEqual(batched.out, single.out);
    assert.deepEqual(batched.stats, single.stats);
  });
});
