/**
 * JSON text for graph state, exact for every double: finite numbers round-trip through JSON as
 * they are (ECMAScript prints the shortest string that reads back to the same double), while
 * NaN, ±Infinity and -0, which JSON would turn into null or 0, are written as {"$num": "..."}.
 * (No state object uses a "$num" key of its own.) Hand-written because the npm candidates for
 * this (superjson, devalue) change the shape of every value or need their own parser for a job
 * this small.
 */
const TAG = '$num';

export function encodeState(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'number') return v;
    if (Number.isNaN(v)) return { [TAG]: 'NaN' };
    if (v === Number.POSITIVE_INFINITY) return { [TAG]: 'Infinity' };
    if (v === Number.NEGATIVE_INFINITY) return { [TAG]: '-Infinity' };
    if (Object.is(v, -0)) return { [TAG]: '-0' };
    return v;
  });
}

export function decodeState(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.length !== 1 || keys[0] !== TAG) return v;
    const tag = (v as Record<string, unknown>)[TAG];
    switch (tag) {
      case 'NaN':
        return Number.NaN;
      case 'Infinity':
        return Number.POSITIVE_INFINITY;
      case '-Infinity':
        return Number.NEGATIVE_INFINITY;
      case '-0':
        return -0;
      default:
        throw new TypeError(`graph state: unknown number tag ${JSON.stringify(tag)}`);
    }
  });
}
