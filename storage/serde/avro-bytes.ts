/** Varints up to 7 bytes: |value| < 2^48, always a safe integer (avsc checks that for longer ones). */
export const MAX_VARINT = 7;
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * avsc 5.7's Tap.readLong (lib/utils.js) over raw bytes, bounded to the bytes and to MAX_VARINT of
 * them: the shared step of the direct readers (trade-reader.ts, chain-reader.ts), which take only
 * the common case and leave everything else to avsc. `at` is the position after the last long
 * read, or -1 once anything was out of the common case (the reader then returns undefined).
 */
export class LongReader {
  at = 0;

  read(buf: Uint8Array, p: number): number {
    const len = buf.length;
    if (p >= len) return this.fail();
    let b = buf[p++] as number;
    // One byte (lengths, enum and union indexes, small values): no loop.
    if (b < 0x80) {
      this.at = p;
      return (b >>> 1) ^ -(b & 1);
    }
    // Up to 4 bytes in a 28-bit integer, as avsc's readLong; then a double for the rest.
    let n = b & 0x7f;
    let k = 7;
    do {
      if (p >= len) return this.fail();
      b = buf[p++] as number;
      n |= (b & 0x7f) << k;
      k += 7;
    } while (b & 0x80 && k < 28);
    if (!(b & 0x80)) {
      this.at = p;
      return (n >>> 1) ^ -(n & 1);
    }
    let f = n;
    let fk = 268435456;
    const end = p + (MAX_VARINT - 4);
    do {
      if (p >= len || p >= end) return this.fail();
      b = buf[p++] as number;
      f += (b & 0x7f) * fk;
      fk *= 128;
    } while (b & 0x80);
    this.at = p;
    // The zigzag sign is the lowest bit, already in n: a double's `% 2` costs a call to fmod.
    return (n & 1 ? -(f + 1) : f) / 2;
  }

  private fail(): number {
    this.at = -1;
    return 0;
  }
}
