import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';

/**
 * The page's open-position rule (sinks/web/static/position.js, the file the browser loads), run
 * in a Node vm context: the latest BUY/SELL with a stop or target is open until a later bar
 * reaches one of them or its timeout passes.
 */
interface Position {
  side: string;
  stop: number | null;
  target: number | null;
  size: number | null;
  expiresAt: number | null;
}
type OpenPosition = (signals: object[], bars: object[]) => { position: Position | null; closed: string | null };

const code = readFileSync(join(import.meta.dirname, '..', '..', '..', 'sinks', 'web', 'static', 'position.js'), 'utf8');
const sandbox: { tickflowPosition?: { openPosition: OpenPosition } } = {};
runInNewContext(code, sandbox);
const inVm = sandbox.tickflowPosition?.openPosition as OpenPosition;
/** Results copied into this realm (the vm's objects have the other realm's prototypes). */
const openPosition: OpenPosition = (signals, bars) => JSON.parse(JSON.stringify(inVm(signals, bars))) as ReturnType<OpenPosition>;

const M5 = 300_000;
const T = Date.UTC(2026, 0, 5, 10);
const sig = (action: string, barEnd: number, o: object = {}) => ({ id: `${action}${barEnd}`, action, barEnd, stop: null, target: null, expiresAt: null, size: null, ...o });
/** Bars after the signal: each starts at T + i * 5 min, with the given low and high. */
const bars = (...lh: [number, number][]) => lh.map(([low, high], i) => ({ start: T + i * M5, low, high }));

test('a BUY with a stop and target is open while bars stay between them and before its timeout', () => {
  const buy = sig('BUY', T, { stop: 95, target: 110, size: 0.4, expiresAt: T + 6 * M5 });
  const r = openPosition([sig('HOLD', T - M5), buy, sig('HOLD', T + M5)], bars([99, 101], [97, 108]));
  assert.equal(r.closed, null);
  assert.deepEqual({ ...r.position, signal: undefined }, { signal: undefined, side: 'long', stop: 95, target: 110, size: 0.4, expiresAt: T + 6 * M5 });
});

test('closed when a bar reaches the stop or the target (long and short), or when it times out', () => {
  const buy = sig('BUY', T, { stop: 95, target: 110 });
  assert.deepEqual(openPosition([buy], bars([99, 101], [94.9, 100])), { position: null, closed: 'stopped out' });
  assert.deepEqual(openPosition([buy], bars([99, 110])), { position: null, closed: 'target reached' });
  const sell = sig('SELL', T, { stop: 105, target: 90 });
  assert.equal(openPosition([sell], bars([99, 104.9])).position?.side, 'short');
  assert.equal(openPosition([sell], bars([99, 105])).closed, 'stopped out');
  assert.equal(openPosition([sell], bars([90, 101])).closed, 'target reached');
  const timed = sig('BUY', T, { stop: 95, expiresAt: T + 2 * M5 });
  assert.equal(openPosition([timed], bars([99, 101])).position?.side, 'long');
  assert.equal(openPosition([timed], bars([99, 101], [99, 101])).closed, 'timed out');
});

test('bars before the signal do not count; no BUY/SELL or no levels: no position', () => {
  const buy = sig('BUY', T + M5, { stop: 95, target: 110 });
  // The bar starting at T ended at the signal's bar end: it is the signal's own bar, not a held one.
  assert.equal(openPosition([buy], bars([90, 120], [99, 101])).position?.side, 'long');
  assert.deepEqual(openPosition([sig('HOLD', T)], []), { position: null, closed: 'no BUY or SELL signal' });
  assert.deepEqual(openPosition([sig('BUY', T)], []), { position: null, closed: 'the signal has no stop or target' });
  // The latest BUY/SELL decides, even if an older one is still within its levels.
  assert.equal(openPosition([sig('BUY', T, { stop: 95 }), sig('SELL', T + M5, { stop: 105 })], bars([99, 101])).position?.side, 'short');
});
