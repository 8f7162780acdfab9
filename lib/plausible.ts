/**
 * Plausibility bounds on market values, shared by ingest (sources/ingest/plausibility.ts) and the
 * input validator of the processors (processors/validate): a value beyond them is a typo, a unit
 * mix-up or an attack, never market data.
 */

/** Largest plausible price, spot or strike (BTC quoted in IDR is about 1.6e9; 1e308 is not a price). */
export const MAX_PRICE = 1e12;
/** Largest plausible size, volume or open interest of one trade, candle or contract (meme coins trade 1e13 tokens a day). */
export const MAX_SIZE = 1e17;
/** Largest plausible raw IV cell: 1000 (percent) or 1000 (fraction: 100,000 %). */
export const MAX_IV_RAW = 1000;
