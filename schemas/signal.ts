/** Signal v1: a model's call for one symbol at one bar close, with the inputs that produced it. */
export interface InputRange {
  topic: string;
  partition: number;
  fromOffset: number;
  toOffset: number;
}

export type Action = 'BUY' | 'SELL' | 'HOLD';

export interface Signal {
  /** Deterministic id: hash of symbol, barEnd, modelId and featureSetHash. */
  id: string;
  tsEvent: number;
  tsInit: number;
  symbol: string;
  interval: string;
  barEnd: number;
  pUp: number;
  pFlat: number;
  pDown: number;
  action: Action;
  confidence: number;
  modelId: string;
  featureSetHash: string;
  /** Log positions (inclusive offset ranges) of the input events behind this signal. */
  inputs: InputRange[];
  // Decision policy (processors/decision): absent or null for a model without a policy.
  /** Fraction of the symbol's sleeve to commit, 0..1 (0 for HOLD). */
  size?: number | null;
  /** Stop-loss and take-profit prices. */
  stop?: number | null;
  target?: number | null;
  /** The position's timeout, epoch ms. */
  expiresAt?: number | null;
  /** Why HOLD. */
  reason?: string | null;
}

export const SIGNAL_SCHEMA = {
  type: 'record',
  name: 'Signal',
  namespace: 'tickflow.v1',
  doc: 'Class probabilities, action and provenance at a bar close.',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'tsEvent', type: 'long' },
    { name: 'tsInit', type: 'long' },
    { name: 'symbol', type: 'string' },
    { name: 'interval', type: 'string' },
    { name: 'barEnd', type: 'long' },
    { name: 'pUp', type: 'double' },
    { name: 'pFlat', type: 'double' },
    { name: 'pDown', type: 'double' },
    { name: 'action', type: { type: 'enum', name: 'Action', symbols: ['BUY', 'SELL', 'HOLD'] } },
    { name: 'confidence', type: 'double' },
    { name: 'modelId', type: 'string' },
    { name: 'featureSetHash', type: 'string' },
    {
      name: 'inputs',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'InputRange',
          fields: [
            { name: 'topic', type: 'string' },
            { name: 'partition', type: 'int' },
            { name: 'fromOffset', type: 'long' },
            { name: 'toOffset', type: 'long' },
          ],
        },
      },
    },
    // Decision policy fields (optional; null when the model has no policy).
    { name: 'size', type: ['null', 'double'], default: null },
    { name: 'stop', type: ['null', 'double'], default: null },
    { name: 'target', type: ['null', 'double'], default: null },
    { name: 'expiresAt', type: ['null', 'long'], default: null },
    { name: 'reason', type: ['null', 'string'], default: null },
  ],
} as const;
