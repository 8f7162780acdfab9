import { TickflowError } from '../../lib/errors.ts';

/**
 * An imported candle coarser than the signal interval (daily candles replayed at 5m): no bar of
 * the signal interval can be built from it, so the replay stops and says so instead of writing an
 * empty dataset. A mismatch between the data and `--interval`, i.e. the user's to fix.
 */
export class CoarseCandleError extends TickflowError {
  constructor(
    readonly symbol: string,
    readonly candleInterval: string,
    readonly signalInterval: string,
  ) {
    super(`${symbol}: the log holds ${candleInterval} candles, coarser than the signal interval ${signalInterval}; replay with --interval ${candleInterval} (or coarser)`);
  }
}
