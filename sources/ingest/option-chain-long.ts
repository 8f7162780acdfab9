import { LINE_TOO_LONG } from './record-source.ts';
import { pickColumn, requirePick } from './chain-columns.ts';
import { IngestInputError } from './ingest-error.ts';
import { countCell, droppableCell, parseExpiry, parseRight, priceCell, snapshotTime, type ChainContext, type OptionRow } from './option-row.ts';
import { cellNumber, reject, type Parsed } from './parsed.ts';
import { MAX_IV_RAW, MAX_PRICE, implausiblePrice } from './plausibility.ts';

/**
 * Long chain format: one row per (snapshot time, underlying, expiry, strike, right). Required:
 * time, expiry, strike, right, spot, and an underlying column or --symbol. Optional: last, bid,
 * ask, volume, oi, iv, delta, gamma; other columns are ignored.
 */
export async function* optionChainLong(records: AsyncIterable<Record<string, unknown>>, ctx: ChainContext): AsyncGenerator<Parsed<OptionRow>> {
  let cols: ReturnType<typeof resolve> | null = null;
  for await (const rec of records) {
    if (LINE_TOO_LONG in rec) {
      yield reject('line-too-long');
      continue;
    }
    cols ??= resolve(new Set(Object.keys(rec)), ctx);
    yield parseLongRow(rec, cols, ctx);
  }
}

function resolve(keys: Set<string>, ctx: ChainContext) {
  const f = 'option-chain-long';
  const m = ctx.map;
  const underlying = pickColumn(keys, 'underlying', '', m);
  if (underlying === undefined && !ctx.symbol) throw new IngestInputError(`${f}: no underlying/symbol column; pass --symbol`);
  return {
    time: requirePick(keys, 'time', f, '', m), underlying, spot: requirePick(keys, 'spot', f, '', m),
    expiry: requirePick(keys, 'expiry', f, '', m), strike: requirePick(keys, 'strike', f, '', m), right: requirePick(keys, 'right', f, '', m),
    last: pickColumn(keys, 'last', '', m), bid: pickColumn(keys, 'bid', '', m), ask: pickColumn(keys, 'ask', '', m),
    volume: pickColumn(keys, 'volume', '', m), oi: pickColumn(keys, 'oi', '', m), iv: pickColumn(keys, 'iv', '', m),
    delta: pickColumn(keys, 'delta', '', m), gamma: pickColumn(keys, 'gamma', '', m),
  };
}

type Cols = ReturnType<typeof resolve>;

function parseLongRow(rec: Record<string, unknown>, c: Cols, ctx: ChainContext): Parsed<OptionRow> {
  const ts = snapshotTime(rec[c.time], ctx);
  if (!ts.ok) return ts;
  const right = parseRight(rec[c.right]);
  if (right === null) return reject('bad-right');
  return contractRow(rec, ts.value, right, c, ctx);
}

/** Shared by long and wide rows: `prefix` selects the side's columns in a wide row. */
export function contractRow(
  rec: Record<string, unknown>,
  ts: number,
  right: 'C' | 'P',
  c: { underlying: string | undefined; spot: string; expiry: string; strike: string; last?: string | undefined; bid?: string | undefined; ask?: string | undefined; volume?: string | undefined; oi?: string | undefined; iv?: string | undefined; delta?: string | undefined; gamma?: string | undefined },
  ctx: ChainContext,
): Parsed<OptionRow> {
  const at = (k: string | undefined): unknown => (k === undefined ? undefined : rec[k]);
  const u = at(c.underlying);
  const underlying = ctx.symbol ?? (typeof u === 'string' ? u.trim() : typeof u === 'number' ? String(u) : '');
  if (underlying === '') return reject('missing-column');
  const expiry = parseExpiry(rec[c.expiry], ctx.calendar, ctx.dateFormat);
  if (expiry === null) return reject('unparseable-expiry');
  const strike = cellNumber(rec[c.strike]);
  if (strike === null) return reject('missing-column');
  if (!Number.isFinite(strike)) return reject('non-finite');
  if (strike <= 0) return reject('non-positive-strike');
  if (implausiblePrice(strike)) return reject('implausible-strike');
  const last = priceCell(at(c.last));
  const bid = priceCell(at(c.bid));
  const ask = priceCell(at(c.ask));
  for (const p of [last, bid, ask]) if (!p.ok) return p;
  const oi = countCell(at(c.oi));
  const volume = countCell(at(c.volume));
  if (!oi.ok) return oi;
  if (!volume.ok) return volume;
  const spot = cellNumber(rec[c.spot]);
  if (spot !== null && Number.isFinite(spot) && implausiblePrice(spot)) return reject('implausible-spot');
  const dropped: string[] = [];
  const iv = droppableCell(at(c.iv), 'iv', 0, MAX_IV_RAW, dropped);
  const delta = droppableCell(at(c.delta), 'delta', -100, 100, dropped);
  const gamma = droppableCell(at(c.gamma), 'gamma', -MAX_PRICE, MAX_PRICE, dropped);
  // Coin-margined venues quote premiums in the underlying: times the row's spot gives the quote currency.
  const scale = ctx.premiumIn === 'underlying' ? spot : 1;
  if (scale === null || !Number.isFinite(scale) || scale <= 0) return reject('premium-without-spot');
  const price = (p: typeof last): number | null => (p.ok && p.value !== null ? p.value * scale : null);
  return {
    ok: true,
    value: {
      ts, underlying, spot, expiry, strike, right,
      last: price(last), bid: price(bid), ask: price(ask),
      ivRaw: iv !== null && iv > 0 ? iv : null,
      delta, gamma,
      openInterest: oi.value, volume: volume.value,
      ...(dropped.length > 0 ? { dropped } : {}),
    },
  };
}
