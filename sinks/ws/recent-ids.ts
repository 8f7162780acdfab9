/**
 * The last `capacity` distinct ids seen. A Set keeps insertion order, which here is age order: an
 * id added past the capacity evicts the oldest, so memory stays bounded however long a stream runs.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`RecentIds: capacity must be an integer >= 1, got ${capacity}`);
  }

  /** Records `id`; false when it is already among the recent ones (a duplicate). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
