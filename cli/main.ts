import { info, UsageError } from './output.ts';

/** Each command module exports `run(argv): Promise<number>` (the exit code). */
const COMMANDS: Record<string, () => Promise<{ run: (argv: string[]) => Promise<number> }>> = {
  start: () => import('./commands/start.ts'),
  generate: () => import('./commands/generate.ts'),
  replay: () => import('./commands/replay.ts'),
  train: () => import('./commands/train.ts'),
  verify: () => import('./commands/verify.ts'),
  db: () => import('./commands/db.ts'),
  query: () => import('./commands/query.ts'),
  mirror: () => import('./commands/mirror.ts'),
  topics: () => import('./commands/topics.ts'),
  ingest: () => import('./commands/ingest.ts'),
  run: () => import('./commands/run.ts'),
  models: () => import('./commands/models.ts'),
  tune: () => import('./commands/tune.ts'),
};

const USAGE = `usage: tickflow <command> [options]
commands: ${Object.keys(COMMANDS).join(', ')}
see docs/cli.md`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    info(USAGE);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command ${JSON.stringify(name)}\n${USAGE}`);
  const mod = await load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      info(`tickflow: ${err.message}`);
      process.exitCode = 2;
    } else {
      info(`tickflow: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    }
  },
);
