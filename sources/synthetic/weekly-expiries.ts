const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/**
 * The next `count` Fridays at `hourUtc`:00 UTC strictly after `ts` (epoch ms). 1970-01-01 was a
 * Thursday, so epoch day d is a Friday when (d + 4) % 7 === 5.
 */
export function weeklyExpiries(ts: number, count: number, hourUtc: number): number[] {
  const day = Math.floor(ts / DAY_MS);
  const dow = (day + 4) % 7; // 0 = Sunday
  let first = (day + ((5 - dow + 7) % 7)) * DAY_MS + hourUtc * 3_600_000;
  if (first <= ts) first += WEEK_MS;
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(first + i * WEEK_MS);
  return out;
}
