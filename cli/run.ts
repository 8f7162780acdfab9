// The CLI as a function: what `tickflow <args>` does, from the argument list to the exit code.
// cli/main.ts calls it with the process's arguments; tests may call it (test/helpers/cli-batch.ts).
import { isSpec, parseCommand, subcommandsHelp, wantsHelp, type CommandSpec, type Flags } from './command-spec.ts';
import { COMMANDS } from './registry.ts';
import { describeFailure } from './failure.ts';
import { setCliLogger, UsageError } from './output.ts';
import { createLogger, defaultLogFormat, LOG_FORMATS, type LogFormat } from '../lib/log.ts';
import type { DestinationStream } from 'pino';
import { redactCredentials } from '../lib/redact.ts';

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: tickflow <command> [options]   (tickflow <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    `global: --debug prints stack traces of errors; --log-format ${LOG_FORMATS.join('|')} (default: pretty on a terminal, json otherwise). Exit codes: 0 success, 1 failure, 2 usage error. See docs/cli.md.`,
    '',
  ].join('\n');
}

async function main(argv: string[], logFormat: string | undefined, logStream: DestinationStream | undefined): Promise<number> {
  if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat)) throw new UsageError(`--log-format ${JSON.stringify(logFormat)}: must be one of ${LOG_FORMATS.join(', ')}`);
  const format = (logFormat as LogFormat | undefined) ?? defaultLogFormat();
  setCliLogger(createLogger({ format, ...(logStream === undefined ? {} : { stream: logStream }) }), format);
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

/**
 * Global flags (anywhere before `--`): `--debug`, stack traces for every error; `--log-format
 * json|pretty` (or `--log-format=json`), how progress lines on stderr look (lib/log.ts).
 */
function splitGlobals(argv: string[]): { debug: boolean; logFormat: string | undefined; argv: string[] } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end);
  let logFormat: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < head.length; i++) {
    const a = head[i] as string;
    if (a === '--log-format') logFormat = head[++i] ?? '';
    else if (a.startsWith('--log-format=')) logFormat = a.slice('--log-format='.length);
    else if (a !== '--debug') rest.push(a);
  }
  return { debug: head.includes('--debug'), logFormat, argv: [...rest, ...tail] };
}

export interface RunOptions {
  /** Where the CLI's log lines go; default stderr (fd 2, lib/log.ts). */
  logStream?: DestinationStream;
}

/**
 * Runs `tickflow <argv>`: the JSON result (or --help text) on stdout, progress and log lines on
 * stderr, a failure as one line on stderr (its stack after it with --debug). Returns the exit code:
 * 0 success, 1 failure, 2 usage error (docs/cli.md).
 */
export async function runTickflow(argv: string[], options: RunOptions = {}): Promise<number> {
  const args = splitGlobals(argv);
  try {
    return await main(args.argv, args.logFormat, options.logStream);
  } catch (err: unknown) {
    const failure = describeFailure(err, args.debug);
    // The error path's answer, like the JSON result on stdout: one plain line (with --debug, the
    // stack after it) in either log format, not a log record (docs/cli.md).
    process.stderr.write(`${redactCredentials(failure.text)}\n`);
    return failure.code;
  }
}
