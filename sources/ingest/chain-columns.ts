import type { FieldMap } from './field-map.ts';
import { IngestInputError } from './ingest-error.ts';

/** Column names accepted for each field of a chain file (lower-case; first present wins). */
export const CHAIN_COLUMNS = {
  time: ['timestamp', 'datetime', 'snapshot_time', 'date', 'time', 'ts'],
  underlying: ['symbol', 'underlying', 'underlying_symbol', 'name', 'ticker'],
  spot: ['spot', 'underlying_price', 'underlying_value', 'spot_price', 'underlyingvalue', 'index_price'],
  expiry: ['expiry', 'expiry_date', 'expiration', 'expirydate', 'expiration_timestamp'],
  strike: ['strike', 'strike_price', 'strikeprice'],
  right: ['option_type', 'right', 'type', 'cp', 'call_put', 'optiontype'],
  last: ['ltp', 'last', 'last_price', 'lastprice', 'price', 'close'],
  bid: ['bid', 'bid_price', 'bidprice'],
  ask: ['ask', 'ask_price', 'askprice'],
  volume: ['volume', 'vol', 'total_traded_volume'],
  oi: ['oi', 'open_interest', 'openinterest'],
  iv: ['iv', 'implied_volatility', 'impliedvolatility', 'mark_iv'],
  delta: ['delta'],
  gamma: ['gamma'],
} as const;

export type ChainField = keyof typeof CHAIN_COLUMNS;

/**
 * The column of `field` among `keys`: the one `--map` names for it (which must exist; only
 * unprefixed columns are mapped), else the first accepted name (prefixed by `prefix`), else undefined.
 */
export function pickColumn(keys: ReadonlySet<string>, field: ChainField, prefix = '', map?: FieldMap): string | undefined {
  const mapped = prefix === '' ? map?.get(field) : undefined;
  if (mapped !== undefined) {
    if (!keys.has(mapped)) throw new IngestInputError(`--map ${field}=${mapped}: no column ${JSON.stringify(mapped)} in the header; found ${[...keys].join(', ')}`);
    return mapped;
  }
  return CHAIN_COLUMNS[field].map((n) => prefix + n).find((n) => keys.has(n));
}

export function requirePick(keys: ReadonlySet<string>, field: ChainField, format: string, prefix = '', map?: FieldMap): string {
  const c = pickColumn(keys, field, prefix, map);
  if (c === undefined) {
    throw new IngestInputError(`${format}: no ${prefix}${field} column; expected one of ${CHAIN_COLUMNS[field].map((n) => prefix + n).join(', ')} (case-insensitive); found ${[...keys].join(', ')}`);
  }
  return c;
}
