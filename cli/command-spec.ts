import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Flag } from './flags.ts';
import { UsageError } from './output.ts';

export type Flags = Record<string, Flag>;

/** The typed values a command's flags parse to. */
export type Values<F extends Flags> = { [K in keyof F]: z.output<F[K]['schema']> };

/**
 * One command (or subcommand) at the edge: its name as typed (`replay dataset`), a one-line
 * summary, its flags, and checks that involve several flags. The zod object schema built from the
 * flags is the only place its input is validated; --help is generated from the same flags.
 */
export interface CommandSpec<F extends Flags> {
  readonly name: string;
  readonly summary: string;
  readonly flags: F;
  /** What the command returns on stdout, for --help. */
  readonly output?: string;
  /** Cross-flag rules; return a message naming the flags, or undefined when fine. */
  check?(values: Values<F>): string | undefined;
}

/** The typed values of a command spec. */
export type ValuesOf<S> = S extends CommandSpec<infer F> ? Values<F> : never;

export function defineCommand<F extends Flags>(spec: CommandSpec<F>): CommandSpec<F> {
  return spec;
}

/** A spec, or a record of subcommand specs. */
export function isSpec(s: CommandSpec<Flags> | Record<string, CommandSpec<Flags>>): s is CommandSpec<Flags> {
  return typeof s.name === 'string' && 'flags' in s && 'summary' in s;
}

/** The command's zod schema: one field per flag. */
export function schemaOf<F extends Flags>(spec: CommandSpec<F>): z.ZodObject {
  return z.object(Object.fromEntries(Object.entries(spec.flags).map(([k, f]) => [k, f.schema])));
}

const isHelp = (a: string): boolean => a === '--help' || a === '-h';

/** True when argv asks for help (before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some(isHelp);
}

/**
 * Parses argv against a command: `null` when --help was asked (the usage is printed on stdout),
 * else the typed values. Any mistake (unknown option, missing value, a value out of range, a
 * missing file) is a UsageError of one line naming the flag, before the command does any work.
 */
export function parseCommand<F extends Flags>(spec: CommandSpec<F>, argv: readonly string[]): Values<F> | null {
  if (wantsHelp(argv)) {
    process.stdout.write(helpText(spec));
    return null;
  }
  const named = Object.entries(spec.flags).filter(([, f]) => !f.positional);
  const bare = Object.entries(spec.flags).filter(([, f]) => f.positional === true);
  const options = Object.fromEntries(named.map(([k, f]) => [k, { type: f.kind }])) as Record<string, { type: 'string' | 'boolean' }>;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${parseArgsMessage(e as Error & { code?: string })} (see tickflow ${spec.name} --help)`);
  }
  if (parsed.positionals.length > bare.length) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[bare.length])} (see tickflow ${spec.name} --help)`);
  const raw: Record<string, string | boolean | undefined> = {};
  for (const [k, f] of named) raw[k] = parsed.values[k] ?? f.default;
  bare.forEach(([k, f], i) => (raw[k] = parsed.positionals[i] ?? f.default));
  const label = (k: string): string => (spec.flags[k]?.positional ? `<${k}>` : `--${k}`);
  const result = schemaOf(spec).safeParse(raw);
  if (!result.success) {
    // A wrong value given is reported before a value left out, and a value's own shape (a number,
    // a duration) before what a path names on disk: every flag is checked before anything is opened.
    const issues = result.error.issues;
    const isGiven = (i: (typeof issues)[number]): boolean => raw[String(i.path[0])] !== undefined;
    const given = issues.find((i) => isGiven(i) && spec.flags[String(i.path[0])]?.onDisk !== true) ?? issues.find(isGiven);
    if (given !== undefined) {
      const key = String(given.path[0]);
      const shown = spec.flags[key]?.hideValue ? '' : ` ${JSON.stringify(raw[key])}`;
      throw new UsageError(`${label(key)}${shown}: ${given.message}`);
    }
    const left = String(issues[0]?.path[0]);
    throw new UsageError(`missing required ${spec.flags[left]?.positional ? 'argument' : 'option'} ${label(left)} (see tickflow ${spec.name} --help)`);
  }
  const values = result.data as Values<F>;
  const problem = spec.check?.(values);
  if (problem !== undefined) throw new UsageError(problem);
  return values;
}

/** parseArgs's errors, made one line that names the option. */
function parseArgsMessage(e: Error & { code?: string }): string {
  const option = /'(-[^ ']+)/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? e.message}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/argument missing/.test(e.message)) return `${option ?? 'an option'} needs a value`;
    if (/ambiguous/.test(e.message)) return `${option ?? 'an option'}: a value starting with - is written ${option ?? '--option'}=-value`;
    return `${option ?? 'an option'} takes no value`;
  }
  return e.message.split('\n')[0] ?? e.message;
}

/** The usage text of a command, from its flags (defaults visible). */
export function helpText<F extends Flags>(spec: CommandSpec<F>): string {
  // Bare arguments first, in their order, then the options.
  const entries = [...Object.entries(spec.flags).filter(([, f]) => f.positional === true), ...Object.entries(spec.flags).filter(([, f]) => !f.positional)];
  const formOf = (k: string, f: Flag): string => (f.positional ? `<${k}>` : f.kind === 'boolean' ? `--${k}` : `--${k} <${f.arg}>`);
  const usage = entries
    .map(([k, f]) => {
      const form = formOf(k, f);
      return f.required ? form : `[${form}]`;
    })
    .join(' ');
  const rows = entries.map(([k, f]) => {
    const left = formOf(k, f);
    const notes = [f.required ? 'required' : '', f.default !== undefined ? `default ${f.default}` : ''].filter(Boolean).join(', ');
    return [left, `${f.help}${notes ? ` [${notes}]` : ''}`] as const;
  });
  rows.push(['--help, -h', 'print this usage and exit'], ['--debug', 'print stack traces of errors']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return [
    `usage: tickflow ${spec.name} ${usage}`.trimEnd(),
    '',
    spec.summary,
    ...(spec.output ? ['', `stdout: ${spec.output}`] : []),
    '',
    'options:',
    ...rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`),
    '',
    'exit codes: 0 success, 1 failure (a bug, or a check that failed), 2 usage error (the message names the flag or file). See docs/cli.md.',
    '',
  ].join('\n');
}

/** The usage of a command with subcommands (`replay dataset|backtest`): one line per subcommand. */
export function subcommandsHelp(name: string, subs: Record<string, CommandSpec<Flags>>): string {
  const list = Object.keys(subs).join('|');
  const width = Math.max(...Object.keys(subs).map((s) => s.length));
  return [`usage: tickflow ${name} ${list} [options]`, '', ...Object.entries(subs).map(([s, c]) => `  ${s.padEnd(width)}  ${c.summary}`), '', `tickflow ${name} <${list}> --help prints the options of each.`, ''].join('\n');
}
