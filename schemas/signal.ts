/**
 * Signal: a model's call for one symbol at one bar close, with the inputs that produced it.
 * Version 2 added, at the end and with Avro defaults (BACKWARD and FORWARD compatible: a reader of
 * either version reads the other's records), the forward-return heads and the contributions.
 */
export interface InputRange {
  topic: string;
  partition: number;
  fromOffset: number;
  toOffset: number;
}

export type Action = 'BUY' | 'SELL' | 'HOLD';

/** One feature's contribution to the chosen class (the class behind the action). */
export interface Contribution {
  feature: string;
  value: number;
}

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
  /**
   * Expected forward log return over the label horizon (the model's forward-return head); null
   * when the model has no heads. Absent in a value built by hand means null.
   */
  expectedReturn?: number | null;
  /** Quantiles 10 %, 50 %, 90 % of the forward log return, q10 <= q50 <= q90; null without heads. */
  q10?: number | null;
  q50?: number | null;
  q90?: number | null;
  /**
   * The (at most) three features that contributed most to the chosen class (UP for BUY, DOWN for
   * SELL, FLAT for HOLD), by absolute value, ties by feature name; value in centered-logit units
   * of the family's uncalibrated probabilities. Empty when the model does not explain.
   */
  contributions?: Contribution[];
  // Decision policy (processors/decision): absent or null for a model without a policy.
  /** Fraction of equity to commit, 0..1 (0 for HOLD): the account's equity in the shared-cash backtest (D54), the symbol's sleeve with `--portfolio sleeves`. */
  size?: number | null;
  /** Stop-loss and take-profit prices. */
  stop?: number | null;
  target?: number | null;
  /** The position's timeout, epoch ms. */
  expiresAt?: number | null;
  /** Why HOLD. */
  reason?: string | null;
  /**
   * The option contract a trader would buy for this signal (BUY -> a call, SELL -> a put), chosen
   * from the underlying's option chain at bar end by processors/decision/contract.ts; null when
   * HOLD, when the symbol has no chain, when the chain is stale, or for a model without a contract
   * rule. Absent in a value built by hand means null.
   */
  contract?: SignalContract | null;
  /** Multi-timeframe confluence: each timeframe's view behind a fused signal (empty otherwise). */
  timeframes?: TimeframeView[];
}

/** The contract a signal names (see Signal.contract). */
export interface SignalContract {
  underlying: string;
  /** Expiry instant, epoch ms. */
  expiry: number;
  strike: number;
  right: 'CALL' | 'PUT';
  /** Price per unit of underlying from the chain at bar end: see premiumSource. */
  premium: number;
  /** MID = (bid + ask) / 2 when both are quoted (0 < bid <= ask); LAST = the last trade price otherwise. */
  premiumSource: 'MID' | 'LAST';
  /** Implied volatility (a fraction) as quoted by the chain; null when the chain has none. */
  iv: number | null;
  /** tsEvent of the chain snapshot the contract was read from (its age at bar end is barEnd - chainAt). */
  chainAt: number;
}

/**
 * One timeframe's view in a fused signal (processors/confluence): its model's latest signal from a
 * bar CLOSED at or before the fused signal's bar end; null probabilities when it has none yet.
 */
export interface TimeframeView {
  interval: string;
  modelId: string;
  barEnd: number | null;
  pUp: number | null;
  pFlat: number | null;
  pDown: number | null;
  /** Its fusion weight, and its own log-odds ln(pUp / pDown) (null without a view). */
  weight: number;
  logOdds: number | null;
  /** Its direction agrees with the BUY/SELL the rule proposed on the fused probabilities, before the agreement requirement (false for HOLD, a tie or a missing view). */
  agrees: boolean;
}

/** The Signal schema before the heads and contributions (kept for compatibility tests). */
export const SIGNAL_SCHEMA_V1 = {
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
  ],
} as const;

const nullableDouble = (name: string, doc: string) => ({ name, type: ['null', 'double'], default: null, doc }) as const;

/** The Signal schema with heads, contributions and policy fields, before the contract (kept for compatibility tests). */
export const SIGNAL_SCHEMA_V2 = {
  ...SIGNAL_SCHEMA_V1,
  fields: [
    ...SIGNAL_SCHEMA_V1.fields,
    nullableDouble('expectedReturn', 'Expected forward log return over the label horizon; null: no heads.'),
    nullableDouble('q10', 'Forward log return quantile 10 %.'),
    nullableDouble('q50', 'Forward log return quantile 50 %.'),
    nullableDouble('q90', 'Forward log return quantile 90 %.'),
    {
      name: 'contributions',
      type: { type: 'array', items: { type: 'record', name: 'Contribution', fields: [{ name: 'feature', type: 'string' }, { name: 'value', type: 'double' }] } },
      default: [],
      doc: 'Top features behind the chosen class, by absolute value, ties by name.',
    },
    // Decision policy fields (optional; null when the model has no policy).
    { name: 'size', type: ['null', 'double'], default: null },
    { name: 'stop', type: ['null', 'double'], default: null },
    { name: 'target', type: ['null', 'double'], default: null },
    { name: 'expiresAt', type: ['null', 'long'], default: null },
    { name: 'reason', type: ['null', 'string'], default: null },
  ],
} as const;

/** V2 plus the optional option contract (null by default), before the timeframe views (kept for compatibility tests). */
export const SIGNAL_SCHEMA_V3 = {
  ...SIGNAL_SCHEMA_V2,
  fields: [
    ...SIGNAL_SCHEMA_V2.fields,
    {
      name: 'contract',
      type: [
        'null',
        {
          type: 'record',
          name: 'SignalContract',
          fields: [
            { name: 'underlying', type: 'string' },
            { name: 'expiry', type: 'long' },
            { name: 'strike', type: 'double' },
            { name: 'right', type: { type: 'enum', name: 'ContractRight', symbols: ['CALL', 'PUT'] } },
            { name: 'premium', type: 'double' },
            { name: 'premiumSource', type: { type: 'enum', name: 'PremiumSource', symbols: ['MID', 'LAST'] } },
            { name: 'iv', type: ['null', 'double'], default: null },
            { name: 'chainAt', type: 'long' },
          ],
        },
      ],
      default: null,
      doc: 'The option contract to buy (BUY: call, SELL: put) from the chain at bar end; null: HOLD, no chain, stale chain, or no contract rule.',
    },
  ],
} as const;

/** The current Signal schema: V3 plus the timeframe views of a fused multi-timeframe signal (empty by default). */
export const SIGNAL_SCHEMA = {
  ...SIGNAL_SCHEMA_V3,
  fields: [
    ...SIGNAL_SCHEMA_V3.fields,
    {
      name: 'timeframes',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'TimeframeView',
          fields: [
            { name: 'interval', type: 'string' },
            { name: 'modelId', type: 'string' },
            { name: 'barEnd', type: ['null', 'long'] },
            { name: 'pUp', type: ['null', 'double'] },
            { name: 'pFlat', type: ['null', 'double'] },
            { name: 'pDown', type: ['null', 'double'] },
            { name: 'weight', type: 'double' },
            { name: 'logOdds', type: ['null', 'double'] },
            { name: 'agrees', type: 'boolean' },
          ],
        },
      },
      default: [],
      doc: 'Multi-timeframe confluence: each timeframe view behind a fused signal; empty otherwise.',
    },
  ],
} as const;
