import type { AppendRecord } from '../log/event-log.ts';

/** Splits records into runs of at most `maxBytes` of keys and values (a bigger record goes alone). */
export function* byteChunks(records: readonly AppendRecord[], maxBytes: number): Generator<readonly AppendRecord[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const size = records[i]!.value.length + records[i]!.key.length * 3 + 64;
    if (i > start && bytes + size > maxBytes) {
      yield records.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) yield records.slice(start);
}

export function asBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
