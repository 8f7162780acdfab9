import type { Signal } from '../../schemas/index.ts';

/**
 * A plain BUY signal of `symbol` at `barEnd` for the page/API tests (id `<symbol>-<barEnd>`,
 * model m1, feature set h1, no inputs); `over` replaces any field.
 */
export function webSignal(symbol: string, barEnd: number, over: Partial<Signal> = {}): Signal {
  return {
    id: `${symbol}-${barEnd}`,
    tsEvent: barEnd,
    tsInit: barEnd + 2,
    symbol,
    interval: '5m',
    barEnd,
    pUp: 0.5,
    pFlat: 0.3,
    pDown: 0.2,
    action: 'BUY',
    confidence: 0.5,
    modelId: 'm1',
    featureSetHash: 'h1',
    inputs: [],
    ...over,
  };
}
