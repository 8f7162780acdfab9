import { isInSession, type SessionCalendar } from '../../processors/calendar/index.ts';

/**
 * Gaps of option-chain snapshots against the session calendar: per underlying, the slots of
 * `slotMs` (aligned to the epoch, so 5-minute slots start at 09:15 IST) between its first and last
 * usable snapshot whose start is in session and that hold no usable snapshot (appended, or already
 * in the log). Stale, out-of-session and rejected snapshots are not usable. `runs` counts holes.
 */
export class ChainSlotGaps {
  private readonly slots = new Map<string, Set<number>>();

  constructor(
    private readonly calendar: SessionCalendar,
    private readonly slotMs: number,
  ) {
    if (!(Number.isInteger(slotMs) && slotMs > 0)) throw new RangeError(`gap slot must be a positive whole number of ms, got ${slotMs}`);
  }

  covered(underlying: string, ts: number): void {
    let s = this.slots.get(underlying);
    if (s === undefined) this.slots.set(underlying, (s = new Set()));
    s.add(Math.floor(ts / this.slotMs));
  }

  count(): { gaps: number; runs: number } {
    let gaps = 0;
    let runs = 0;
    for (const s of this.slots.values()) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const k of s) {
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
      let inHole = false;
      for (let k = lo; k <= hi; k++) {
        if (!isInSession(this.calendar, k * this.slotMs)) continue; // out of session: neither a gap nor the end of one
        if (s.has(k)) {
          inHole = false;
          continue;
        }
        gaps++;
        if (!inHole) runs++;
        inHole = true;
      }
    }
    return { gaps, runs };
  }
}
