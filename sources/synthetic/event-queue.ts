/**
 * Binary min-heap ordered by (ts, seq): a deterministic total order when seq is unique. Parallel
 * arrays keep the per-event cost to a few comparisons and no allocation.
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private readonly ts: number[] = [];
  private readonly seq: number[] = [];

  /** The heap as parallel arrays (restore() takes them back as they are). */
  state(): { items: T[]; ts: number[]; seq: number[] } {
    return { items: [...this.items], ts: [...this.ts], seq: [...this.seq] };
  }

  restore(s: { items: readonly T[]; ts: readonly number[]; seq: readonly number[] }): void {
    this.items.splice(0, this.items.length, ...s.items);
    this.ts.splice(0, this.ts.length, ...s.ts);
    this.seq.splice(0, this.seq.length, ...s.seq);
  }

  get size(): number {
    return this.items.length;
  }

  /** Smallest ts, or +Infinity when empty. */
  peekTs(): number {
    return this.items.length === 0 ? Number.POSITIVE_INFINITY : (this.ts[0] as number);
  }

  push(item: T, ts: number, seq: number): void {
    let i = this.items.length;
    this.items.push(item);
    this.ts.push(ts);
    this.seq.push(seq);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): T {
    const n = this.items.length - 1;
    if (n < 0) throw new Error('EventQueue.pop on an empty queue');
    const top = this.items[0] as T;
    this.swap(0, n);
    this.items.pop();
    this.ts.pop();
    this.seq.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.less(r, l) ? r : l;
      if (!this.less(m, i)) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ta = this.ts[a] as number;
    const tb = this.ts[b] as number;
    return ta < tb || (ta === tb && (this.seq[a] as number) < (this.seq[b] as number));
  }

  private swap(a: number, b: number): void {
    const it = this.items[a] as T;
    this.items[a] = this.items[b] as T;
    this.items[b] = it;
    const t = this.ts[a] as number;
    this.ts[a] = this.ts[b] as number;
    this.ts[b] = t;
    const s = this.seq[a] as number;
    this.seq[a] = this.seq[b] as number;
    this.seq[b] = s;
  }
}
