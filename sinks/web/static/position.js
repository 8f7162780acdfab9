// The open position the page draws as stop and target price lines: the latest BUY or SELL signal
// with a stop or a target, unless a later bar has reached one of them or its timeout has passed.
// Plain script (no build step): defines window.tickflowPosition; test/unit/web/page-position.test.ts
// runs this same file in a Node vm context.
'use strict';
(function (root) {
  const FIVE_MIN = 300_000;

  /**
   * signals: oldest first (objects with action, barEnd, stop, target, expiresAt, size).
   * bars: 5-minute bars oldest first as {start, high, low} in epoch ms (the candles' own data).
   * Returns {signal, side, stop, target, size, expiresAt} or null; `closed` says why not, for the page.
   */
  function openPosition(signals, bars) {
    let s = null;
    for (let i = signals.length - 1; i >= 0; i--) {
      const x = signals[i];
      if (x.action === 'BUY' || x.action === 'SELL') {
        s = x;
        break;
      }
    }
    if (s === null) return { position: null, closed: 'no BUY or SELL signal' };
    const stop = s.stop ?? null;
    const target = s.target ?? null;
    if (stop === null && target === null) return { position: null, closed: 'the signal has no stop or target' };
    const long = s.action === 'BUY';
    let lastEnd = s.barEnd;
    // Entry at the next bar's open (as the backtest fills): bars starting at or after the signal's bar end.
    for (let i = bars.length - 1; i >= 0; i--) {
      const b = bars[i];
      if (b.start < s.barEnd) break;
      lastEnd = Math.max(lastEnd, b.start + FIVE_MIN);
      const stopHit = stop !== null && (long ? b.low <= stop : b.high >= stop);
      const targetHit = target !== null && (long ? b.high >= target : b.low <= target);
      if (stopHit || targetHit) return { position: null, closed: stopHit ? 'stopped out' : 'target reached' };
    }
    const expiresAt = s.expiresAt ?? null;
    if (expiresAt !== null && lastEnd >= expiresAt) return { position: null, closed: 'timed out' };
    return { position: { signal: s, side: long ? 'long' : 'short', stop, target, size: s.size ?? null, expiresAt }, closed: null };
  }

  root.tickflowPosition = { openPosition };
})(typeof window !== 'undefined' ? window : globalThis);
