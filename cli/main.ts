import { isSpec, parseCommand, subcommandsHelp, wantsHelp, type CommandSpec, type Flags } from './command-spec.ts';
import { COMMANDS } from './registry.ts';
import { describeFailure } from './failure.ts';
import { info, UsageError } from './output.ts';

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: tickflow <command> [options]   (tickflow <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'global: --debug prints stack traces of errors. Exit codes: 0 success, 1 failure, 2 usage error. See docs/cli.md.',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return 0;
  }
  const commands = Object.keys(COMMANDS).join(', ');
  if (name === undefined) throw new UsageError(`missing command: one of ${commands} (see tickflow --help)`);
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}: one of ${commands} (see tickflow --help)`);
  let spec: CommandSpec<Flags>;
  let sub = '';
  let args = rest;
  if (isSpec(entry.specs)) spec = entry.specs;
  else {
    const subs = entry.specs;
    const list = Object.keys(subs).join('|');
    [sub = '', ...args] = rest;
    if (sub === '') throw new UsageError(`tickflow ${name} needs a subcommand: ${list} (see tickflow ${name} --help)`);
    if (wantsHelp([sub])) {
      process.stdout.write(subcommandsHelp(name, subs));
      return 0;
    }
    const chosen = Object.hasOwn(subs, sub) ? subs[sub] : undefined;
    if (chosen === undefined) throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} of tickflow ${name}: one of ${list} (see tickflow ${name} --help)`);
    spec = chosen;
  }
  const values = parseCommand(spec, args);
  if (values === null) return 0;
  return (await entry.load()).run(values as never, sub);
}

/** `--debug` (anywhere before `--`) is global: stack traces for every error. */
function splitDebug(argv: string[]): { debug: boolean; argv: string[] } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end);
  return { debug: head.includes('--debug'), argv: [...head.filter((a) => a !== '--debug'), ...tail] };
}

const args = splitDebug(process.argv.slice(2));
main(args.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const failure = describeFailure(err, args.debug);
    info(failure.text);
    process.exitCode = failure.code;
  },
);
