export interface LatencySummary {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** p50, p99 and max of latency samples (nearest rank; nulls when there are none). Sorts in place. */
export function summarizeLatencies(samples: number[]): LatencySummary {
  samples.sort((a, b) => a - b);
  const q = (f: number): number | null => (samples.length ? (samples[Math.min(samples.length - 1, Math.floor(f * samples.length))] as number) : null);
  return { p50: q(0.5), p99: q(0.99), max: q(1) };
}
