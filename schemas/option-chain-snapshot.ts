/** OptionChainSnapshot v1: every listed contract of one underlying at one instant. */
export interface OptionContract {
  /** Expiry instant, epoch ms. */
  expiry: number;
  strike: number;
  right: 'C' | 'P';
  bid: number | null;
  ask: number | null;
  last: number | null;
  /** Implied volatility as a fraction (0.2 = 20 %); null when unknown. */
  iv: number | null;
  delta: number | null;
  gamma: number | null;
  /** Open interest in contracts. */
  openInterest: number;
  volume: number;
}

export interface OptionChainSnapshot {
  tsEvent: number;
  tsInit: number;
  underlying: string;
  spot: number;
  contracts: OptionContract[];
}

const nullableDouble = { type: ['null', 'double'], default: null } as const;

export const OPTION_CHAIN_SNAPSHOT_SCHEMA = {
  type: 'record',
  name: 'OptionChainSnapshot',
  namespace: 'tickflow.v1',
  doc: 'All contracts of one underlying at one instant. IV as a fraction; times epoch ms.',
  fields: [
    { name: 'tsEvent', type: 'long' },
    { name: 'tsInit', type: 'long' },
    { name: 'underlying', type: 'string' },
    { name: 'spot', type: 'double' },
    {
      name: 'contracts',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'OptionContract',
          fields: [
            { name: 'expiry', type: 'long' },
            { name: 'strike', type: 'double' },
            { name: 'right', type: { type: 'enum', name: 'Right', symbols: ['C', 'P'] } },
            { name: 'bid', ...nullableDouble },
            { name: 'ask', ...nullableDouble },
            { name: 'last', ...nullableDouble },
            { name: 'iv', ...nullableDouble },
            { name: 'delta', ...nullableDouble },
            { name: 'gamma', ...nullableDouble },
            { name: 'openInterest', type: 'double' },
            { name: 'volume', type: 'double' },
          ],
        },
      },
    },
  ],
} as const;
