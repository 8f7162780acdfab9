import { IngestInputError } from './ingest-error.ts';

/** tickflow field -> the file's column name (lower-cased), from `--map field=column,...`. */
export type FieldMap = ReadonlyMap<string, string>;

export const NO_MAP: FieldMap = new Map();

/** The fields `--map` accepts per kind of file (left-hand side of each pair). */
export const MAP_FIELDS = {
  trades: ['time', 'price', 'size', 'side', 'id', 'symbol'],
  candles: ['time', 'open', 'high', 'low', 'close', 'volume', 'symbol'],
  chains: ['time', 'underlying', 'expiry', 'strike', 'right', 'bid', 'ask', 'last', 'iv', 'oi', 'volume', 'spot', 'delta', 'gamma'],
} as const;

/**
 * Parses `--map time=transact_time,size=qty`: each pair is a tickflow field (one of `fields`) and a
 * column of the file (case-insensitive). A field given twice, an unknown field or a pair without
 * `=` is a usage error naming the pair.
 */
export function parseFieldMap(text: string | undefined, fields: readonly string[], format: string): FieldMap {
  const out = new Map<string, string>();
  if (text === undefined || text.trim() === '') return out;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    const field = pair.slice(0, eq).trim().toLowerCase();
    const column = pair.slice(eq + 1).trim().toLowerCase();
    if (eq < 0 || field === '' || column === '') throw new IngestInputError(`--map ${JSON.stringify(pair)}: expected <field>=<column>`);
    if (!fields.includes(field)) throw new IngestInputError(`--map ${JSON.stringify(pair)}: ${JSON.stringify(field)} is not a field of --format ${format}; fields: ${fields.join(', ')}`);
    if (out.has(field)) throw new IngestInputError(`--map: field ${JSON.stringify(field)} is mapped twice`);
    out.set(field, column);
  }
  return out;
}

/**
 * The column index of `field`: the mapped column when `--map` names it (which must then be in the
 * header), else the first of `names` present. `header` maps lower-cased names to indices.
 */
export function mappedColumn(header: ReadonlyMap<string, number>, map: FieldMap, field: string, names: readonly string[], where: string): number | undefined {
  const mapped = map.get(field);
  if (mapped !== undefined) {
    const i = header.get(mapped);
    if (i === undefined) throw new IngestInputError(`${where}: --map ${field}=${mapped}: no column ${JSON.stringify(mapped)} in the header; found ${[...header.keys()].join(', ')}`);
    return i;
  }
  for (const n of names) {
    const i = header.get(n);
    if (i !== undefined) return i;
  }
  return undefined;
}

export function requireMappedColumn(header: ReadonlyMap<string, number>, map: FieldMap, field: string, names: readonly string[], where: string): number {
  const i = mappedColumn(header, map, field, names, where);
  if (i === undefined) {
    throw new IngestInputError(`${where}: no ${field} column: expected one of ${names.join(', ')} (case-insensitive) or --map ${field}=<column>; found ${[...header.keys()].join(', ')}`);
  }
  return i;
}
