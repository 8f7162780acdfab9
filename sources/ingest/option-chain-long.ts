import { pickColumn, requirePick } from './chain-columns.ts';
import { IngestInputError } from './ingest-error.ts';
import { countCell, optionalCell, parseExpiry, parseRight, priceCell, snapshotTime, type ChainContext, type OptionRow } from './option-row.ts';
import { cellNumber, reject, type Parsed } from './parsed.ts';

/**
 * Long chain format: one row per (snapshot time, underlying, expiry, strike, right). Required:
 * time, expiry, strike, right, spot, and an underlying column or --symbol. Optional: last, bid,
 * ask, volume, oi, iv, delta, gamma; other columns are ignored.
 */
export async function* optionChainLong(records: AsyncIterable<Record<string, unknown>>, ctx: ChainContext): AsyncGenerator<Parsed<OptionRow>> {
  let cols: ReturnType<typeof resolve> | null = null;
  for await (const rec of records) {
    cols ??= resolve(new Set(Object.keys(rec)), ctx);
    yield parseLongRow(rec, cols, ctx);
  }
}

function resolve(keys: Set<string>, ctx: ChainContext) {
  const f = 'option-chain-long';
  const underlying = pickColumn(keys, 'underlying');
  if (underlying === undefined && !ctx.symbol) throw new IngestInputError(`${f}: no underlying/symbol column; pass --symbol`);
  return {
    time: requirePick(keys, 'time', f), underlying, spot: requirePick(keys, 'spot', f),
    expiry: requirePick(keys, 'expiry', f), strike: requirePick(keys, 'strike', f), right: requirePick(keys, 'right', f),
    last: pickColumn(keys, 'last'), bid: pickColumn(keys, 'bid'), ask: pickColumn(keys, 'ask'),
    volume: pickColumn(keys, 'volume'), oi: pickColumn(keys, 'oi'), iv: pickColumn(keys, 'iv'),
    delta: pickColumn(keys, 'delta'), gamma: pickColumn(keys, 'gamma'),
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
  const expiry = parseExpiry(rec[c.expiry], ctx.calendar);
  if (expiry === null) return reject('unparseable-expiry');
  const strike = cellNumber(rec[c.strike]);
  if (strike === null) return reject('missing-column');
  if (!Number.isFinite(strike)) return reject('non-finite');
  if (strike <= 0) return reject('non-positive-strike');
  const last = priceCell(at(c.last));
  const bid = priceCell(at(c.bid));
  const ask = priceCell(at(c.ask));
  for (const p of [last, bid, ask]) if (!p.ok) return p;
  const oi = countCell(at(c.oi));
  const volume = countCell(at(c.volume));
  if (!oi.ok) return oi;
  if (!volume.ok) return volume;
  const spot = cellNumber(rec[c.spot]);
  const iv = optionalCell(at(c.iv));
  return {
    ok: true,
    value: {
      ts, underlying, spot, expiry, strike, right,
      last: last.ok ? last.value : null, bid: bid.ok ? bid.value : null, ask: ask.ok ? ask.value : null,
      ivRaw: iv !== null && iv > 0 ? iv : null,
      delta: optionalCell(at(c.delta)), gamma: optionalCell(at(c.gamma)),
      openInterest: oi.value, volume: volume.value,
    },
  };
}
