import { createLogger } from '../lib/log.ts';

/**
 * A benchmark's progress lines on stderr, through the house logger (lib/log.ts): pretty lines on a
 * terminal (`HH:MM:ss INFO: bench <name>: …`), JSON lines when stderr is a pipe or a file, as every
 * command's. The figures themselves go to stdout, unchanged.
 */
export function benchSay(name: string): (message: string) => void {
  const logger = createLogger().child({ component: `bench ${name}` });
  return (message) => logger.info(message);
}
