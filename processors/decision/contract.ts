import { chainColumns, COL, contractsExpiring, CONTRACT_STRIDE, SECOND_RIGHT, type Action, type OptionChainSnapshot, type OptionContract, type SignalContract } from '../../schemas/index.ts';

/**
 * Which option contract a signal names (QuantumEdge's rule): BUY -> a call, SELL -> a put, of the
 * nearest expiry at least minTimeToExpiryMs after the bar end, at the money or one listed strike
 * out of the money, priced from the underlying's option chain as of the bar end. Stored in the
 * manifest's policy (`policy.contract`); a policy without it names no contract.
 */
export interface ContractRule {
  /** The contract's expiry must be at least this long after the bar end (ms). */
  minTimeToExpiryMs: number;
  /** ATM: the listed strike nearest to spot; OTM1: the next listed strike beyond it, out of the money. */
  moneyness: 'ATM' | 'OTM1';
  /**
   * Oldest chain used, ms between the snapshot's tsEvent and the bar end. An older snapshot's
   * premium and IV are not what the trader would pay at bar end (options reprice with the
   * underlying and with time), so the signal names no contract rather than a stale price.
   */
  maxChainAgeMs: number;
}

/**
 * Defaults: the nearest expiry at least one day out (a same-day expiry is mostly theta and
 * gamma, not the 30-minute view the signal takes), at the money, from a chain at most 5 minutes
 * (one signal bar) old.
 */
export const DEFAULT_CONTRACT_RULE: Readonly<ContractRule> = Object.freeze({ minTimeToExpiryMs: 86_400_000, moneyness: 'ATM', maxChainAgeMs: 300_000 });

/** The chosen contract, or why there is none. */
export type ContractChoice = { contract: SignalContract; reason: null } | { contract: null; reason: string };

/**
 * The premium of one contract: MID = (bid + ask) / 2 when both are quoted with 0 < bid <= ask,
 * else LAST when the last trade price is positive; null when neither (no price to buy at).
 */
export function premiumOf(c: OptionContract): { premium: number; source: 'MID' | 'LAST' } | null {
  const ok = (x: number | null): x is number => x !== null && Number.isFinite(x) && x > 0;
  if (ok(c.bid) && ok(c.ask) && c.bid <= c.ask) return { premium: (c.bid + c.ask) / 2, source: 'MID' };
  if (ok(c.last)) return { premium: c.last, source: 'LAST' };
  return null;
}

const none = (reason: string): ContractChoice => ({ contract: null, reason });

/**
 * Pure: the contract for a decision, from the chain snapshot the graph joined as of the bar end
 * (tsInit <= barEnd, so no look-ahead). Steps, each with its tie-break:
 * 1. HOLD, or no chain -> none. Chain older than maxChainAgeMs (barEnd - tsEvent) -> none.
 * 2. Right: CALL for BUY, PUT for SELL. Expiry: the smallest expiry of that right with
 *    expiry - barEnd >= minTimeToExpiryMs (unique by construction).
 * 3. Strikes of that expiry and right, distinct, ascending. ATM strike: nearest to the chain's
 *    spot (the price the premiums were quoted against); equally near -> the lower strike (the
 *    same rule as the atm_iv feature). OTM1: the next strike above ATM for a call, below for a
 *    put; none listed -> none.
 * 4. Several rows for the chosen (expiry, strike, right): the first in chain order that has a
 *    price. No price on any of them -> none (no premium to buy at).
 */
export function selectContract(action: Action, chain: OptionChainSnapshot | null, barEnd: number, rule: ContractRule): ContractChoice {
  if (action === 'HOLD') return none('HOLD');
  if (chain === null) return none('no option chain');
  const age = barEnd - chain.tsEvent;
  if (age > rule.maxChainAgeMs) return none(`option chain ${age} ms old at bar end (bound ${rule.maxChainAgeMs} ms)`);
  const right = action === 'BUY' ? 'C' : 'P';
  let expiry: number | null = null;
  // A chain from the replay's direct reader (D173): its expiry column and flags, and below only
  // that expiry's contracts made (contractsExpiring).
  const columns = chainColumns(chain);
  if (columns !== null) {
    const put = right === 'P';
    for (let at = 0; at < columns.length; at += CONTRACT_STRIDE) {
      const e = columns[at + COL.expiry] as number;
      if (((columns[at + COL.flags] as number) & SECOND_RIGHT) !== 0 === put && e - barEnd >= rule.minTimeToExpiryMs && (expiry === null || e < expiry)) expiry = e;
    }
  } else {
    for (const c of chain.contracts) {
      if (c.right === right && c.expiry - barEnd >= rule.minTimeToExpiryMs && (expiry === null || c.expiry < expiry)) expiry = c.expiry;
    }
  }
  if (expiry === null) return none(`no ${right === 'C' ? 'call' : 'put'} expiring at least ${rule.minTimeToExpiryMs} ms after bar end`);
  const spot = chain.spot;
  if (!(Number.isFinite(spot) && spot > 0)) return none('option chain has no usable spot');
  // One pass over that expiry's contracts of that right, no further arrays (D139): the ATM strike is the
  // nearest to spot, the lower on a tie, i.e. the first of the distinct ascending strikes that
  // no later one is strictly nearer than, as the rule states. Strikes are finite and positive
  // (validated inputs).
  const cs = contractsExpiring(chain, expiry);
  let atm = Number.NaN;
  let atmDist = Number.POSITIVE_INFINITY;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i] as OptionContract;
    if (c.right !== right || c.expiry !== expiry) continue;
    const d = Math.abs(c.strike - spot);
    if (d < atmDist || (d === atmDist && c.strike < atm) || Number.isNaN(atm)) {
      atm = c.strike;
      atmDist = d;
    }
  }
  let strike = atm;
  if (rule.moneyness !== 'ATM') {
    // OTM1: the next listed strike beyond ATM, above for a call, below for a put.
    strike = Number.NaN;
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i] as OptionContract;
      if (c.right !== right || c.expiry !== expiry) continue;
      const k = c.strike;
      if (right === 'C' ? k > atm && !(k >= strike) : k < atm && !(k <= strike)) strike = k;
    }
    if (Number.isNaN(strike)) return none(`no strike one out of the money beyond ${atm}`);
  }
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i] as OptionContract;
    if (c.right !== right || c.expiry !== expiry || c.strike !== strike) continue;
    const p = premiumOf(c);
    if (p === null) continue;
    const iv = c.iv !== null && Number.isFinite(c.iv) && c.iv > 0 ? c.iv : null;
    return { contract: { underlying: chain.underlying, expiry, strike, right: right === 'C' ? 'CALL' : 'PUT', premium: p.premium, premiumSource: p.source, iv, chainAt: chain.tsEvent }, reason: null };
  }
  return none(`no price for the ${strike} ${right === 'C' ? 'call' : 'put'}`);
}
