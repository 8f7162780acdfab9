/** Trade v1: one executed trade as reported by the venue. */
export interface Trade {
  /** When the trade happened at the venue, epoch ms. */
  tsEvent: number;
  /** When tickflow received it, epoch ms (>= tsEvent for live feeds). */
  tsInit: number;
  symbol: string;
  price: number;
  size: number;
  /** Aggressor side: BUY means the taker bought (lifted the offer). */
  side: 'BUY' | 'SELL';
  tradeId: number;
}

export const TRADE_SCHEMA = {
  type: 'record',
  name: 'Trade',
  namespace: 'tickflow.v1',
  doc: 'An executed trade. Times are epoch milliseconds.',
  fields: [
    { name: 'tsEvent', type: 'long' },
    { name: 'tsInit', type: 'long' },
    { name: 'symbol', type: 'string' },
    { name: 'price', type: 'double' },
    { name: 'size', type: 'double' },
    { name: 'side', type: { type: 'enum', name: 'Side', symbols: ['BUY', 'SELL'] } },
    { name: 'tradeId', type: 'long' },
  ],
} as const;
