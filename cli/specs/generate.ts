import { defineCommand } from '../command-spec.ts';
import { list, num, text } from '../flags.ts';

export const GENERATE = defineCommand({
  name: 'generate',
  summary: 'Writes a seeded synthetic market (trades and option chains) into a new log; refuses a non-empty directory.',
  output: '{"events":N,"firstTs":ms,"lastTs":ms,"bayesAuc":x}',
  flags: {
    out: text({ help: 'the new log directory', arg: 'logDir', required: true }),
    symbols: list({ help: 'symbols to generate (unknown ones start at 100 with a 0.01 tick)', default: 'BTC,ETH' }),
    days: num({ help: 'days of market', gt: 0, default: '7' }),
    seed: num({ help: 'market seed', int: true, min: 0, default: '1' }),
    'signal-strength': num({ help: 'how predictable the market is (0 = not at all)', min: 0, default: '1' }),
  },
});
