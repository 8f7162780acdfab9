import { LINE_TOO_LONG } from './record-source.ts';
import { pickColumn, requirePick } from './chain-columns.ts';
import { IngestInputError } from './ingest-error.ts';
import { contractRow } from './option-chain-long.ts';
import { snapshotTime, type ChainContext, type OptionRow } from './option-row.ts';
import { cellNumber, reject, type Parsed } from './parsed.ts';

const SIDES = [['ce_', 'pe_'], ['call_', 'put_']] as const;

/**
 * Wide chain format: one row per (snapshot time, underlying, expiry, strike), call and put side
 * by side under `CE_`/`PE_` or `call_`/`put_` prefixes (CE_LTP, CE_OI, CE_Volume, CE_IV, CE_Bid,
 * ...), plus spot and underlying columns. Each row yields a call and a put; a side whose last,
 * OI, volume, bid and ask are all empty is not listed. Extra columns are ignored.
 */
export async function* optionChainWide(records: AsyncIterable<Record<string, unknown>>, ctx: ChainContext): AsyncGenerator<Parsed<OptionRow>> {
  let cols: ReturnType<typeof resolve> | null = null;
  for await (const rec of records) {
    if (LINE_TOO_LONG in rec) {
      yield reject('line-too-long');
      continue;
    }
    cols ??= resolve(new Set(Object.keys(rec)), ctx);
    const ts = snapshotTime(rec[cols.time], ctx);
    if (!ts.ok) {
      yield ts;
      continue;
    }
    for (const side of cols.sides) {
      const cells = [side.last, side.oi, side.volume, side.bid, side.ask].map((k) => (k === undefined ? null : cellNumber(rec[k])));
      if (cells.every((v) => v === null)) continue;
      yield contractRow(rec, ts.value, side.right, { ...cols.base, ...side }, ctx);
    }
  }
}

function resolve(keys: Set<string>, ctx: ChainContext) {
  const f = 'option-chain-wide';
  const pair = SIDES.find(([c, p]) => [...keys].some((k) => k.startsWith(c)) && [...keys].some((k) => k.startsWith(p)));
  if (pair === undefined) throw new IngestInputError(`${f}: no CE_/PE_ or call_/put_ column pairs found in ${[...keys].join(', ')}`);
  const m = ctx.map;
  const underlying = pickColumn(keys, 'underlying', '', m);
  if (underlying === undefined && !ctx.symbol) throw new IngestInputError(`${f}: no underlying/symbol column; pass --symbol`);
  const side = (prefix: string, right: 'C' | 'P') => ({
    prefix, right,
    last: pickColumn(keys, 'last', prefix), bid: pickColumn(keys, 'bid', prefix), ask: pickColumn(keys, 'ask', prefix),
    volume: pickColumn(keys, 'volume', prefix), oi: pickColumn(keys, 'oi', prefix), iv: pickColumn(keys, 'iv', prefix),
    delta: pickColumn(keys, 'delta', prefix), gamma: pickColumn(keys, 'gamma', prefix),
  });
  return {
    time: requirePick(keys, 'time', f, '', m),
    base: { underlying, spot: requirePick(keys, 'spot', f, '', m), expiry: requirePick(keys, 'expiry', f, '', m), strike: requirePick(keys, 'strike', f, '', m) },
    sides: [side(pair[0], 'C'), side(pair[1], 'P')],
  };
}

export type { OptionRow };
