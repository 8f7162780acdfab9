/**
 * JSON that gives back every number exactly, including NaN, +-Infinity and -0 (plain JSON writes
 * them as null or 0): those are written as a one-key object {"<tag>": "NaN"} etc.; finite numbers
 * use JSON's own shortest round-trip formatting, which parses back to the same double. One codec,
 * two tags, each part of a stored format: graph checkpoints (processors/checkpoint/state-codec.ts,
 * "$num") and saved generator state ("~"), where a lost -0 or NaN would change what follows.
 * Hand-written because the npm candidates (superjson, devalue) change the shape of every value or
 * need their own parser for a job this small.
 */
export interface ExactJson {
  stringify: (value: unknown) => string;
  /** Throws on a tagged object with an unknown tag (`<what>: unknown number tag ...`). */
  parse: (text: string) => unknown;
}

/** The codec whose special numbers are tagged `tag` (no value of its own may use that key). */
export function exactJson(tag: string, what: string): ExactJson {
  return {
    stringify: (value) =>
      JSON.stringify(value, (_k, v: unknown) => {
        if (typeof v !== 'number') return v;
        if (Number.isNaN(v)) return { [tag]: 'NaN' };
        if (v === Number.POSITIVE_INFINITY) return { [tag]: 'Infinity' };
        if (v === Number.NEGATIVE_INFINITY) return { [tag]: '-Infinity' };
        if (Object.is(v, -0)) return { [tag]: '-0' };
        return v;
      }),
    parse: (text) =>
      JSON.parse(text, (_k, v: unknown) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
        const keys = Object.keys(v);
        if (keys.length !== 1 || keys[0] !== tag) return v;
        const t = (v as Record<string, unknown>)[tag];
        switch (t) {
          case 'NaN':
            return Number.NaN;
          case 'Infinity':
            return Number.POSITIVE_INFINITY;
          case '-Infinity':
            return Number.NEGATIVE_INFINITY;
          case '-0':
            return -0;
          default:
            throw new TypeError(`${what}: unknown number tag ${JSON.stringify(t)}`);
        }
      }),
  };
}

/** Saved generator state (hosts/live/feed-writer.ts, sources/synthetic). */
const FEED_STATE = exactJson('~', 'feed state');
export const toExactJson = FEED_STATE.stringify;
export const fromExactJson = FEED_STATE.parse;
