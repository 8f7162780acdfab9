import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Buffered, synchronous file writer that hashes what it writes. Synchronous on purpose: it is
 * called from inside the (synchronous) graph sinks, and the buffer keeps syscalls rare.
 */
export class HashingFileWriter {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private chunks: string[] = [];
  private pending = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(text: string): void {
    this.chunks.push(text);
    this.pending += text.length;
    if (this.pending >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    const buf = Buffer.from(this.chunks.join(''), 'utf8');
    this.hash.update(buf);
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    this.bytes += buf.length;
    this.chunks = [];
    this.pending = 0;
  }

  /** Flushes, closes, and returns the sha256 of everything written. */
  close(): string {
    this.flush();
    closeSync(this.fd);
    return this.hash.digest('hex');
  }
}

/** Shortest round-trip decimal form; empty for absent values. Deterministic across runs. */
export function csvNumber(x: number | null | undefined): string {
  return x === null || x === undefined ? '' : String(x);
}
