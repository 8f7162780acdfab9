import { defineCommand } from '../command-spec.ts';
import { list, num, text } from '../flags.ts';

/** `--change-at`: a fraction of the simulated span in (0, 1), or an absolute time. */
export function parseChangeAt(value: string, start: number, days: number): number {
  const v = value.trim();
  if (/^0?\.\d+$/.test(v)) return start + Math.round(Number(v) * days * 86_400_000);
  if (/^-?\d+$/.test(v)) return Number(v);
  return /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
}

function changeAtIsValid(value: string): boolean {
  const t = parseChangeAt(value, 0, 1);
  return Number.isInteger(t) && !(/^0?\.\d+$/.test(value.trim()) && !(t > 0 && t < 86_400_000));
}

export const GENERATE = defineCommand({
  name: 'generate',
  summary: 'Writes a seeded synthetic market (trades and option chains) into a new log; refuses a non-empty directory.',
  output: '{"events":N,"firstTs":ms,"lastTs":ms,"bayesAuc":x,"signalChange":{"at":ms,"signalStrength":x}|null}',
  flags: {
    out: text({ help: 'the new log directory', arg: 'logDir', required: true }),
    symbols: list({ help: 'symbols to generate (unknown ones start at 100 with a 0.01 tick)', default: 'BTC,ETH' }),
    days: num({ help: 'days of market', gt: 0, default: '7' }),
    seed: num({ help: 'market seed', int: true, min: 0, default: '1' }),
    'signal-strength': num({ help: 'how predictable the market is (0 = not at all)', min: 0, default: '1' }),
    'change-at': text({ help: 'change the planted signal part way through: a fraction of the days (0.5) or an ISO time / epoch ms', arg: 'fraction|time' }),
    'strength-after': num({ help: 'signal strength after --change-at (negative reverses the signal)', default: '0' }),
  },
  check: (v) => (v['change-at'] === undefined || changeAtIsValid(v['change-at']) ? undefined : `--change-at must be a fraction in (0, 1) or an ISO date/time or epoch ms, got ${JSON.stringify(v['change-at'])}`),
});
