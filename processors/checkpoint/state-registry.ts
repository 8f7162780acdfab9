/** A stateful piece of the graph: its whole state out as JSON-safe data, and back in. */
export interface StatePart {
  snapshot(): unknown;
  restore(state: unknown): void;
}

/**
 * The named stateful parts of one graph instance. The operators register themselves when the graph
 * is built (buildGraph's `state` dependency), so a snapshot covers exactly what the graph holds.
 * Part snapshots may share objects with the live state: serialize them (snapshotGraph does) before
 * the graph takes its next input.
 */
export class GraphStateRegistry {
  private readonly parts = new Map<string, StatePart>();

  register(name: string, part: StatePart): void {
    if (this.parts.has(name)) throw new Error(`graph state part ${name} registered twice (one registry per graph)`);
    this.parts.set(name, part);
  }

  names(): string[] {
    return [...this.parts.keys()];
  }

  snapshotParts(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, p] of this.parts) out[name] = p.snapshot();
    return out;
  }

  /**
   * Restores every part; the set of names must match exactly. Call before the graph's first input.
   * On a throw the graph may be half restored: discard it and build a fresh one.
   */
  restoreParts(parts: Record<string, unknown>): void {
    const have = this.names().sort();
    const got = Object.keys(parts).sort();
    if (have.join(',') !== got.join(',')) throw new TypeError(`graph state parts differ: the graph has [${have.join(', ')}], the snapshot [${got.join(', ')}]`);
    for (const [name, p] of this.parts) p.restore(parts[name]);
  }
}
