/**
 * The one canonical JSON of tickflow: object keys sorted (UTF-16 code-unit order) at every level,
 * no whitespace, so equal values always give equal text and equal hashes (feature-set hashes,
 * model ids, backtest sha256, ClickHouse run ids). Numbers use JSON's own shortest round-trip
 * formatting. Object members that are `undefined` are skipped, as `JSON.stringify` does (optional
 * fields under `exactOptionalPropertyTypes` are then absent, not an error); `undefined` in an
 * array is `null`, as in JSON. Typed arrays are written as arrays. Non-finite numbers, functions,
 * symbols and bigints throw: a hash of them would silently collide.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  if (ArrayBuffer.isView(value)) {
    return canonicalJson(Array.from(value as unknown as ArrayLike<number>));
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}
