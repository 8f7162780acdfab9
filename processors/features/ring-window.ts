/**
 * Fixed-capacity FIFO window over the latest `capacity` values (a ring buffer: O(1) push, no
 * shifting). Index 0 is the oldest value still held. Used by every windowed indicator.
 */
export class RingWindow<T> {
  readonly capacity: number;
  private readonly buf: T[] = [];
  private start = 0;
  private len = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bad window capacity: ${capacity}`);
    this.capacity = capacity;
  }

  get length(): number {
    return this.len;
  }

  get isFull(): boolean {
    return this.len === this.capacity;
  }

  /**
   * Storage slot of the i-th value for 0 <= i <= length: start + i is below 2 x capacity, so one
   * conditional subtraction does what `% capacity` did, without a division per access (D162).
   */
  private slotOf(i: number): number {
    const k = this.start + i;
    return k >= this.capacity ? k - this.capacity : k;
  }

  /** Appends a value, dropping the oldest one when full. */
  push(value: T): void {
    if (this.len < this.capacity) {
      this.buf[this.slotOf(this.len)] = value;
      this.len++;
    } else {
      this.buf[this.start] = value;
      this.start = this.slotOf(1);
    }
  }

  /** Overwrites the newest value. Throws when empty (programmer error). */
  replaceLast(value: T): void {
    if (this.len === 0) throw new RangeError('replaceLast on an empty window');
    this.buf[this.slotOf(this.len - 1)] = value;
  }

  /** The i-th value, 0 = oldest. Throws outside [0, length). */
  at(i: number): T {
    // The range first (it also refuses NaN), the integer check after it: the same refusals as before.
    if (!(i >= 0 && i < this.len) || !Number.isInteger(i)) throw new RangeError(`window index ${i} out of [0, ${this.len})`);
    return this.buf[this.slotOf(i)] as T;
  }

  last(): T {
    return this.at(this.len - 1);
  }

  /**
   * Where the values lie in storage, for a loop without at()'s check and modulo per value: the
   * i-th value (0 = oldest) is slot((first + i) % capacity), i.e. slots first, first + 1, ...
   * wrapping to 0 after capacity - 1, for i < length.
   */
  get first(): number {
    return this.start;
  }

  /** The value in storage slot k (see `first`); k must be a slot of a held value. */
  slot(k: number): T {
    return this.buf[k] as T;
  }

  /** Values oldest first (a copy). */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.len; i++) out.push(this.buf[this.slotOf(i)] as T);
    return out;
  }

  clear(): void {
    this.buf.length = 0;
    this.start = 0;
    this.len = 0;
  }

  /** Replaces the content with `values` (oldest first); throws if they do not fit. */
  load(values: readonly T[]): void {
    if (values.length > this.capacity) throw new RangeError(`${values.length} values exceed capacity ${this.capacity}`);
    this.clear();
    for (const v of values) this.push(v);
  }
}
