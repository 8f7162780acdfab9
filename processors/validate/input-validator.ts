import { MAX_PRICE, MAX_SIZE } from '../../lib/plausible.ts';
import { chainColumns, COL, CONTRACT_STRIDE, type Bar, type OptionChainSnapshot, type Trade } from '../../schemas/index.ts';

/**
 * Why an input is unusable. `code` names the rule it broke, `<kind>:<rule>` (e.g.
 * `trade:non-positive-price`): a fixed set, so counters keyed by it stay bounded. `reason` is the
 * dead letter's text, with the offending value.
 */
export interface InputProblem {
  code: string;
  reason: string;
}

const problem = (code: string, reason: string): InputProblem => ({ code, reason });

/**
 * Why a trade is unusable, or null when it is fine. Bad input is data: it is dead-lettered with
 * this reason and counted under its code, never thrown.
 */
export function tradeProblem(t: Trade): InputProblem | null {
  // The common case first, in one expression: a valid trade passes every rule below. Measured:
  // written only as the rule-by-rule chain (each rule returning its own reason), this check cost
  // ~500 ns per trade in replay, as much as reading and decoding the trade (docs/benchmarks.md).
  const { price, size } = t;
  if (t.symbol && typeof price === 'number' && price > 0 && price <= MAX_PRICE && typeof size === 'number' && size > 0 && size <= MAX_SIZE && Number.isFinite(t.tsEvent) && Number.isFinite(t.tsInit)) return null;
  return tradeRuleBroken(t);
}

/** Which rule an invalid trade broke, in the order the rules are checked. */
function tradeRuleBroken(t: Trade): InputProblem | null {
  if (!t.symbol) return problem('trade:empty-symbol', 'trade: empty symbol');
  if (!Number.isFinite(t.price) || t.price <= 0) return problem('trade:non-positive-price', `trade: non-positive or non-finite price ${t.price}`);
  if (!Number.isFinite(t.size) || t.size <= 0) return problem('trade:non-positive-size', `trade: non-positive or non-finite size ${t.size}`);
  if (t.price > MAX_PRICE) return problem('trade:implausible-price', `trade: price ${t.price} above ${MAX_PRICE}`);
  if (t.size > MAX_SIZE) return problem('trade:implausible-size', `trade: size ${t.size} above ${MAX_SIZE}`);
  if (!Number.isFinite(t.tsEvent) || !Number.isFinite(t.tsInit)) return problem('trade:non-finite-timestamp', 'trade: non-finite timestamp');
  return null;
}

export function chainProblem(c: OptionChainSnapshot): InputProblem | null {
  // The common case first, allocation-free (as tradeProblem); the rule-by-rule chain below says
  // which rule an invalid chain broke.
  if (chainValid(c)) return null;
  return chainRuleBroken(c);
}

/** Every rule of chainRuleBroken at once: true when none is broken. */
function chainValid(c: OptionChainSnapshot): boolean {
  const spot = c.spot;
  if (!c.underlying || typeof spot !== 'number' || !(spot > 0 && spot <= MAX_PRICE)) return false;
  // A chain from the replay's direct reader: its columns, without making its contracts' records.
  const columns = chainColumns(c);
  if (columns !== null) return columnsValid(columns);
  if (c.contracts.length === 0) return false;
  for (const k of c.contracts) {
    const { strike, openInterest, volume } = k;
    if (typeof strike !== 'number' || !(strike > 0 && strike <= MAX_PRICE)) return false;
    if (typeof openInterest !== 'number' || !(openInterest >= 0 && openInterest < Number.POSITIVE_INFINITY)) return false;
    if (typeof volume !== 'number' || !(volume >= 0 && volume < Number.POSITIVE_INFINITY)) return false;
    if (!premiumValid(k.bid) || !premiumValid(k.ask) || !premiumValid(k.last)) return false;
  }
  return true;
}

/** chainValid's rules for the contracts of a ColumnarChain, on its columns (every value a double). */
function columnsValid(v: readonly number[]): boolean {
  if (v.length === 0) return false;
  for (let at = 0; at < v.length; at += CONTRACT_STRIDE) {
    const strike = v[at + COL.strike] as number;
    const openInterest = v[at + COL.openInterest] as number;
    const volume = v[at + COL.volume] as number;
    if (!(strike > 0 && strike <= MAX_PRICE) || !(openInterest >= 0 && openInterest < Number.POSITIVE_INFINITY) || !(volume >= 0 && volume < Number.POSITIVE_INFINITY)) return false;
    // Bits 0-2 of the flags: bid, ask, last null.
    const flags = v[at + COL.flags] as number;
    const bid = v[at + COL.bid] as number;
    const ask = v[at + COL.ask] as number;
    const last = v[at + COL.last] as number;
    if (!(flags & 1 || (bid >= 0 && bid <= MAX_PRICE)) || !(flags & 2 || (ask >= 0 && ask <= MAX_PRICE)) || !(flags & 4 || (last >= 0 && last <= MAX_PRICE))) return false;
  }
  return true;
}

function premiumValid(p: number | null): boolean {
  return p === null || (typeof p === 'number' && p >= 0 && p <= MAX_PRICE);
}

/** Which rule an invalid chain broke, in the order the rules are checked. */
function chainRuleBroken(c: OptionChainSnapshot): InputProblem | null {
  if (!c.underlying) return problem('chain:empty-underlying', 'chain: empty underlying');
  if (!Number.isFinite(c.spot) || c.spot <= 0) return problem('chain:non-positive-spot', `chain: spot <= 0 or non-finite (${c.spot})`);
  if (c.spot > MAX_PRICE) return problem('chain:implausible-spot', `chain: spot ${c.spot} above ${MAX_PRICE}`);
  if (c.contracts.length === 0) return problem('chain:no-contracts', 'chain: no contracts');
  for (const k of c.contracts) {
    if (!Number.isFinite(k.strike) || k.strike <= 0 || k.strike > MAX_PRICE) return problem('chain:bad-strike', `chain: bad strike ${k.strike}`);
    if (!Number.isFinite(k.openInterest) || k.openInterest < 0) return problem('chain:bad-open-interest', `chain: bad open interest ${k.openInterest}`);
    if (!Number.isFinite(k.volume) || k.volume < 0) return problem('chain:bad-volume', `chain: bad volume ${k.volume}`);
    for (const [name, p] of [['bid', k.bid], ['ask', k.ask], ['last', k.last]] as const) {
      if (p !== null && !(Number.isFinite(p) && p >= 0 && p <= MAX_PRICE)) return problem('chain:bad-premium', `chain: bad ${name} ${p}`);
    }
  }
  return null;
}

export function candleProblem(b: Bar): InputProblem | null {
  // The common case first, in one allocation-free expression (as tradeProblem): the rule chain
  // below builds a [name, value] pair per price for every candle. A valid candle passes every
  // rule of candleRuleBroken; anything else is left to it, so the first broken rule still names
  // the problem (test/unit/processors/input-bounds.test.ts checks that exhaustively).
  const { open, high, low, close, volume } = b;
  if (
    b.symbol && typeof open === 'number' && open > 0 && open <= MAX_PRICE && typeof high === 'number' && high > 0 && high <= MAX_PRICE &&
    typeof low === 'number' && low > 0 && low <= MAX_PRICE && typeof close === 'number' && close > 0 && close <= MAX_PRICE && high >= low &&
    typeof volume === 'number' && volume >= 0 && volume <= MAX_SIZE && b.end > b.start
  ) return null;
  return candleRuleBroken(b);
}

/** Which rule an invalid candle broke, in the order the rules are checked. */
function candleRuleBroken(b: Bar): InputProblem | null {
  if (!b.symbol) return problem('candle:empty-symbol', 'candle: empty symbol');
  for (const [k, v] of [['open', b.open], ['high', b.high], ['low', b.low], ['close', b.close]] as const) {
    if (!Number.isFinite(v) || v <= 0) return problem('candle:non-positive-price', `candle: non-positive or non-finite ${k} ${v}`);
    if (v > MAX_PRICE) return problem('candle:implausible-price', `candle: ${k} ${v} above ${MAX_PRICE}`);
  }
  if (b.high < b.low) return problem('candle:high-below-low', `candle: high ${b.high} below low ${b.low}`);
  if (!Number.isFinite(b.volume) || b.volume < 0 || b.volume > MAX_SIZE) return problem('candle:bad-volume', `candle: bad volume ${b.volume}`);
  if (!(b.end > b.start)) return problem('candle:end-not-after-start', `candle: end ${b.end} not after start ${b.start}`);
  return null;
}
