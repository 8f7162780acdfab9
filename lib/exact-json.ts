/**
 * JSON that gives back every number exactly, including NaN, +-Infinity and -0 (plain JSON writes
 * them as null or 0): those are written as {"~":"NaN"} etc.; finite numbers use JSON's own
 * shortest round-trip formatting, which parses back to the same double. For saved generator
 * state, where a lost -0 or NaN would change the events that follow.
 */
const TAG = '~';

export function toExactJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== 'number') return v;
    if (Number.isNaN(v)) return { [TAG]: 'NaN' };
    if (v === Number.POSITIVE_INFINITY) return { [TAG]: 'Infinity' };
    if (v === Number.NEGATIVE_INFINITY) return { [TAG]: '-Infinity' };
    if (Object.is(v, -0)) return { [TAG]: '-0' };
    return v;
  });
}

export function fromExactJson(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === TAG) {
        const t = (v as Record<string, unknown>)[TAG];
        if (t === 'NaN') return Number.NaN;
        if (t === 'Infinity') return Number.POSITIVE_INFINITY;
        if (t === '-Infinity') return Number.NEGATIVE_INFINITY;
        if (t === '-0') return -0;
      }
    }
    return v;
  });
}
