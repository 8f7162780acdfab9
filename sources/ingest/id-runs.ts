/**
 * A set of integer ids kept as sorted runs [lo, hi] of consecutive values: a venue's trade ids are
 * consecutive, so millions of stored trades cost a few numbers. Build with add() in any order,
 * then seal() before has().
 */
export class IdRuns {
  private los: number[] = [];
  private his: number[] = [];
  private sealed = true;

  add(id: number): void {
    const n = this.los.length;
    if (n > 0 && id === this.his[n - 1]! + 1) {
      this.his[n - 1] = id;
      return;
    }
    if (n > 0 && id >= this.los[n - 1]! && id <= this.his[n - 1]!) return;
    this.los.push(id);
    this.his.push(id);
    this.sealed = false;
  }

  /** Sorts and merges the runs (needed once after adds out of order). */
  seal(): void {
    if (this.sealed) return;
    const order = this.los.map((_, i) => i).sort((a, b) => this.los[a]! - this.los[b]! || this.his[a]! - this.his[b]!);
    const los: number[] = [];
    const his: number[] = [];
    for (const i of order) {
      const lo = this.los[i]!;
      const hi = this.his[i]!;
      const k = los.length - 1;
      if (k >= 0 && lo <= his[k]! + 1) his[k] = Math.max(his[k]!, hi);
      else {
        los.push(lo);
        his.push(hi);
      }
    }
    this.los = los;
    this.his = his;
    this.sealed = true;
  }

  has(id: number): boolean {
    if (!this.sealed) throw new Error('IdRuns.has before seal()');
    let lo = 0;
    let hi = this.los.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (id < this.los[mid]!) hi = mid - 1;
      else if (id > this.his[mid]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  get runs(): number {
    return this.los.length;
  }
}
