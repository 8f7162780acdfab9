/** Defaults for AsOfBuffer, visible in one place. */
export const AS_OF_BUFFER_DEFAULTS = { capacity: 256 } as const;

export interface AsOfBufferOptions {
  /** Most entries kept; pushing beyond it drops the oldest. Default 256. */
  capacity?: number;
}

/**
 * A bounded, time-ordered buffer for as-of joins keyed by availability time (tsInit: when tickflow
 * had the value, not the time it describes), so a join never sees a value from its future.
 *
 * push() needs non-decreasing availableAt (a decrease is a programmer error and throws); among
 * equal times the later push wins. Memory is bounded by `capacity` (oldest dropped first, after
 * which asOf() of a time before the oldest kept entry returns null) and by evictBefore().
 * Values should not be null: asOf() uses null for "nothing available yet".
 */
export class AsOfBuffer<T> {
  readonly capacity: number;
  private times: number[] = [];
  private values: T[] = [];
  /** Index of the oldest live entry; dead entries before it are compacted away lazily. */
  private head = 0;

  constructor(options: AsOfBufferOptions = {}) {
    const capacity = options.capacity ?? AS_OF_BUFFER_DEFAULTS.capacity;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`AsOfBuffer capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.times.length - this.head;
  }

  push(availableAt: number, value: T): void {
    if (!Number.isFinite(availableAt)) throw new RangeError(`AsOfBuffer.push: non-finite time ${availableAt}`);
    const last = this.times[this.times.length - 1];
    if (this.size > 0 && last !== undefined && availableAt < last) {
      throw new RangeError(`AsOfBuffer.push: time went backwards (${availableAt} < ${last})`);
    }
    this.times.push(availableAt);
    this.values.push(value);
    if (this.size > this.capacity) this.dropTo(this.head + 1);
  }

  /** The latest value with availableAt <= t, or null if none is held. */
  asOf(t: number): T | null {
    const i = this.lastAtOrBefore(t);
    return i < 0 ? null : (this.values[i] as T);
  }

  /**
   * Drops entries that no query at time >= t can return: everything before the latest entry at or
   * before t. That entry is kept, so asOf(t') for any t' >= t answers as before.
   */
  evictBefore(t: number): void {
    const i = this.lastAtOrBefore(t);
    if (i > this.head) this.dropTo(i);
  }

  clear(): void {
    this.times = [];
    this.values = [];
    this.head = 0;
  }

  /** Live entries oldest first, as [availableAt, value] pairs (values must be JSON-safe to persist). */
  snapshot(): { capacity: number; entries: [number, T][] } {
    const entries: [number, T][] = [];
    for (let i = this.head; i < this.times.length; i++) entries.push([this.times[i] as number, this.values[i] as T]);
    return { capacity: this.capacity, entries };
  }

  /** Restores entries from snapshot(); values are taken as they are (the caller owns their shape). */
  restore(state: unknown): void {
    const entries = (state as { entries?: unknown } | null)?.entries;
    if (!Array.isArray(entries)) throw new TypeError('AsOfBuffer.restore: expected { entries: [time, value][] }');
    this.clear();
    for (const e of entries) {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'number') throw new TypeError('AsOfBuffer.restore: bad entry');
      this.push(e[0], e[1] as T);
    }
  }

  /** Index (absolute) of the last live entry with time <= t, or -1. Binary search. */
  private lastAtOrBefore(t: number): number {
    let lo = this.head;
    let hi = this.times.length; // first index with time > t lies in [lo, hi]
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1 >= this.head ? lo - 1 : -1;
  }

  private dropTo(newHead: number): void {
    // Release references to dropped values now; compact the arrays once half of them is dead.
    for (let i = this.head; i < newHead; i++) this.values[i] = undefined as T;
    this.head = newHead;
    if (this.head >= 32 && this.head * 2 >= this.times.length) {
      this.times = this.times.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
  }
}
