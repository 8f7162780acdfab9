import type { InputRange } from '../../schemas/index.ts';
import type { StatePart } from '../checkpoint/state-registry.ts';
import type { TimeframeProbs } from './fuse.ts';

/** A higher timeframe's signal as kept for the as-of join. */
export interface StoredView extends TimeframeProbs {
  inputs: InputRange[];
}

/**
 * The as-of join of higher-timeframe signals onto base bar ends, per symbol and timeframe. push()
 * takes a timeframe's signals in bar-end order; at(t) answers the latest one whose bar CLOSED at or
 * before t (barEnd <= t), never a later one, even when that later one has already arrived (a jump
 * of the watermark over several boundaries closes a 5m bar and a later 1h bar on the same input).
 * Base queries come in bar-end order per symbol, so views older than the answer are dropped.
 */
export class TimeframeViews implements StatePart {
  private readonly queues = new Map<string, StoredView[]>();

  private static key(tf: number, symbol: string): string {
    return `${tf}\u0000${symbol}`;
  }

  push(tf: number, symbol: string, view: StoredView): void {
    const k = TimeframeViews.key(tf, symbol);
    const q = this.queues.get(k);
    if (q === undefined) this.queues.set(k, [view]);
    else q.push(view);
  }

  at(tf: number, symbol: string, t: number): StoredView | null {
    const q = this.queues.get(TimeframeViews.key(tf, symbol));
    if (q === undefined) return null;
    let drop = 0;
    while (drop + 1 < q.length && (q[drop + 1] as StoredView).barEnd <= t) drop++;
    if (drop > 0) q.splice(0, drop);
    const head = q[0];
    return head !== undefined && head.barEnd <= t ? head : null;
  }

  snapshot(): unknown {
    return [...this.queues.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, q]) => [k, q.map((v) => ({ ...v, inputs: v.inputs.map((r) => ({ ...r })) }))]);
  }

  restore(state: unknown): void {
    this.queues.clear();
    for (const [k, q] of state as [string, StoredView[]][]) this.queues.set(k, q.map((v) => ({ ...v, inputs: v.inputs.map((r) => ({ ...r })) })));
  }
}
