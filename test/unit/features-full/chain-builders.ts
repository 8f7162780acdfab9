/** Hand-built option chains for the chain-feature tests. */
import type { OptionChainSnapshot, OptionContract } from '../../../schemas/option-chain-snapshot.ts';

export const T0 = 1_700_000_000_000; // 2023-11-14T22:13:20Z, a Tuesday
export const DAY = 86_400_000;

export interface ContractSpec {
  expiry: number;
  strike: number;
  right: 'C' | 'P';
  oi?: number;
  volume?: number;
  iv?: number | null;
  gamma?: number | null;
  last?: number | null;
  bid?: number | null;
  ask?: number | null;
}

export function contract(s: ContractSpec): OptionContract {
  return {
    expiry: s.expiry, strike: s.strike, right: s.right,
    bid: s.bid ?? null, ask: s.ask ?? null, last: s.last ?? null,
    iv: s.iv ?? null, delta: null, gamma: s.gamma ?? null,
    openInterest: s.oi ?? 0, volume: s.volume ?? 0,
  };
}

export function chain(tsEvent: number, spot: number, specs: ContractSpec[]): OptionChainSnapshot {
  return { tsEvent, tsInit: tsEvent, underlying: 'X', spot, contracts: specs.map(contract) };
}
