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
    const end = p + MAX_VARINT;
    let n = 0;
    let k = 0;
    let b = 0;
    let h = 0;
    do {
      if (p >= len) return this.fail();
      b = buf[p++] as number;
      h = b & 0x80;
      n |= (b & 0x7f) << k;
      k += 7;
    } while (h && k < 28);
    if (h) {
      let f = n;
      let fk = 268435456;
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
    this.at = p;
    return (n >> 1) ^ -(n & 1);
  }

  private fail(): number {
    this.at = -1;
    return 0;
  }
}
