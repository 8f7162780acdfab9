import type avro from 'avsc';

/**
 * avsc's own decode of a whole body: the reference the direct readers (storage/serde/trade-reader.ts,
 * chain-reader.ts) are checked against. Undefined where avsc throws or leaves bytes unread.
 */
export function avscValue(type: avro.Type, body: Uint8Array): object | undefined {
  try {
    const d = type.decode(Buffer.from(body), 0);
    return d.offset === body.length ? (d.value as object) : undefined;
  } catch {
    return undefined;
  }
}
