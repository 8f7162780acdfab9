import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isIdentifier } from '../sinks/clickhouse/sql.ts';

/**
 * One command-line option: how parseArgs reads it (a string or a switch), the zod schema that
 * turns the raw text into a typed value (and rejects it with a reason), the default as the user
 * would type it (parsed by the same schema, shown by --help) and the help line.
 */
export interface Flag<S extends z.ZodType = z.ZodType> {
  readonly kind: 'string' | 'boolean';
  readonly schema: S;
  /** The value's placeholder in usage lines: `--speed <n>`. */
  readonly arg: string;
  readonly help: string;
  /** Raw default, as typed on the command line (a string flag) or false (a switch). */
  readonly default?: string;
  readonly required?: boolean;
  /** Given as a bare argument (`models show <id>`) in the order of the spec's flags, not as --name. */
  readonly positional?: boolean;
  /**
   * The value names something on disk that the check looks at (a file, a log, a model): such a
   * flag's problem is reported after every other flag's, so a mistyped number is named before a
   * missing model (cli/command-spec.ts).
   */
  readonly onDisk?: boolean;
  /** The value may hold a secret: a usage error about it names the flag, never the value. */
  readonly hideValue?: boolean;
}

type Common = { help: string; arg?: string };

function flag<S extends z.ZodType>(schema: S, o: Common & { arg: string; default?: string | undefined; required?: boolean | undefined }): Flag<S> {
  return {
    kind: 'string',
    schema,
    arg: o.arg,
    help: o.help,
    ...(o.default !== undefined ? { default: o.default } : {}),
    ...(o.required ? { required: true } : {}),
  };
}

/** The three shapes a string flag's value can take: required, with a default, or optional. */
type Out<T, D, R> = R extends true ? T : D extends string ? T : T | undefined;
type Opts<D, R> = Common & { default?: D; required?: R };

function shaped<T, D extends string | undefined, R extends boolean | undefined>(base: z.ZodType<T, string>, o: Opts<D, R>, arg: string): Flag<z.ZodType<Out<T, D, R>>> {
  const schema = (o.default === undefined && !o.required ? base.optional() : base) as unknown as z.ZodType<Out<T, D, R>>;
  return flag(schema, { ...o, arg: o.arg ?? arg });
}

/** The same flag given as a bare argument (`tickflow models show <id>`) instead of `--name value`. */
export function positional<S extends z.ZodType>(f: Flag<S>): Flag<S> {
  if (f.kind !== 'string') throw new Error('only a string flag can be a positional argument');
  return { ...f, positional: true };
}

/** A switch (`--quiet`): false unless given. */
export function toggle(help: string): Flag<z.ZodType<boolean>> {
  return { kind: 'boolean', schema: z.boolean().default(false), arg: '', help };
}

/** Any non-empty text. */
export function text<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<string, D, R>>> {
  return shaped(z.string().min(1, { error: 'must not be empty' }), o, 'value');
}

/** One Kafka bootstrap address: a host name, IPv4 or [IPv6] address, and a port. */
const BROKER_ADDRESS = /^(\[[0-9a-f:.]+\]|[a-z0-9_][a-z0-9._-]*):(\d{1,5})$/i;

/**
 * What is wrong with a `--broker` list, or undefined: comma-separated `host:port`. Credentials
 * (`user:password@`, with or without a scheme) are refused, not used: tickflow connects to Kafka
 * without SASL or TLS (D65), and a password it would then ignore, or send in the clear, must not
 * look accepted. The message never repeats the value.
 */
export function brokerListProblem(value: string): string | undefined {
  const entries = value.split(',').map((b) => b.trim());
  if (entries.every((b) => b === '')) return 'must name at least one broker (host:port)';
  for (const [i, b] of entries.entries()) {
    const which = entries.length > 1 ? `broker ${i + 1}: ` : '';
    if (b === '') return `${which}empty entry in the list (host:port[,host:port...])`;
    if (b.includes('@')) {
      return `${which}credentials in a broker address are not supported: tickflow connects to Kafka without authentication (no SASL); give host:port without user:password@`;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(b)) return `${which}give host:port, not a URL (no scheme such as kafka://)`;
    const m = BROKER_ADDRESS.exec(b);
    if (!m) return `${which}must be host:port`;
    const port = Number(m[2]);
    if (port < 1 || port > 65_535) return `${which}port must be 1-65535`;
  }
  return undefined;
}

/** A Kafka cluster's bootstrap list, `host:port[,host:port...]` (brokerListProblem). */
export function brokers<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<string, D, R>>> {
  const base = z.string().superRefine((v, ctx) => {
    const problem = brokerListProblem(v);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
  return { ...shaped(base, { ...o, arg: o.arg ?? 'host:port' }, 'host:port'), hideValue: true };
}

/** A number within bounds (`gt`: strictly greater; `int`: a whole number). */
export function num<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(
  o: Opts<D, R> & { int?: boolean; min?: number; gt?: number; max?: number },
): Flag<z.ZodType<Out<number, D, R>>> {
  const what = [o.int ? 'a whole number' : 'a number', o.gt !== undefined ? `> ${o.gt}` : '', o.min !== undefined ? `>= ${o.min}` : '', o.max !== undefined ? `<= ${o.max}` : ''].filter(Boolean).join(' ');
  const error = `must be ${what}`;
  let n = z.number({ error });
  if (o.int) n = n.int({ error });
  if (o.gt !== undefined) n = n.gt(o.gt, { error });
  if (o.min !== undefined) n = n.min(o.min, { error });
  if (o.max !== undefined) n = n.max(o.max, { error });
  const base = z
    .string()
    .transform((s) => (s.trim() === '' ? Number.NaN : Number(s)))
    .pipe(n);
  return shaped(base, { ...o, help: `${o.help} (${what})` }, 'n');
}

/** One of a fixed list. */
export function oneOf<const V extends readonly [string, ...string[]], D extends V[number] | undefined = undefined, R extends boolean | undefined = undefined>(
  values: V,
  o: Opts<D, R>,
): Flag<z.ZodType<Out<V[number], D, R>>> {
  const base = z.enum(values as unknown as [V[number], ...V[number][]], { error: `must be one of ${values.join(', ')}` }) as unknown as z.ZodType<V[number], string>;
  return shaped(base, { ...o, arg: o.arg ?? values.join('|') }, values.join('|'));
}

const DURATION_UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as 500ms, 90s, 90m, 6h, 1.5h or 2d, in milliseconds (> 0). */
export function duration<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<number, D, R>>> {
  const error = 'must be a duration like 90m, 6h or 2d';
  const base = z
    .string()
    .regex(/^\s*\d+(?:\.\d+)?(?:ms|s|m|h|d)\s*$/, { error })
    .transform((s) => {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s.trim()) as RegExpExecArray;
      return Number(m[1]) * (DURATION_UNIT[m[2] as string] as number);
    })
    .pipe(z.number().gt(0, { error: 'must be a duration > 0' }));
  return shaped(base, o, 'duration');
}

/** An ISO 8601 date/time ("2024-01-02", "2024-01-02T09:15:00Z") or epoch milliseconds. */
export function time<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<number, D, R>>> {
  const error = 'must be an ISO date/time or epoch milliseconds';
  const base = z
    .string()
    .transform((s) => (/^-?\d+$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : Number.NaN))
    .pipe(z.number({ error }).int({ error }));
  return shaped(base, o, 'time');
}

/** A comma-separated list of non-empty items. */
export function list<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<string[], D, R>>> {
  const base = z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.string()).min(1, { error: 'must list at least one item (a,b,c)' }));
  return shaped(base, o, 'a,b');
}

/** A ClickHouse database name: a plain SQL identifier (ClickHouse 18.16 takes no query parameters). */
export function identifier<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<string, D, R>>> {
  return shaped(z.string().refine(isIdentifier, { error: 'must be a plain identifier (letters, digits, _)' }), o, 'name');
}

/** A file that must exist (read before any work is done). */
export function existingFile<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<string, D, R>>> {
  const base = z
    .string()
    .min(1, { error: 'must not be empty' })
    .refine((p) => existsSync(p), { error: 'no such file', abort: true })
    .refine((p) => statSync(p).isFile(), { error: 'is not a file' });
  return { ...shaped(base, o, 'file'), onDisk: true };
}

/** True when `dir` holds an embedded event log (lmdb keeps its data in data.mdb). */
export function isEmbeddedLog(dir: string): boolean {
  return existsSync(join(dir, 'data.mdb'));
}

/**
 * An embedded log a command reads: it must exist already (read commands never create one, so a
 * typo is an error naming the path, not an empty log that replays as "identical").
 */
export function existingLog<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<string, D, R>>> {
  const base = z
    .string()
    .min(1, { error: 'must not be empty' })
    .refine((p) => existsSync(p), { error: 'no such directory (read commands never create a log)', abort: true })
    .refine((p) => isEmbeddedLog(p), { error: 'is not an event log (no data.mdb in it)' });
  return { ...shaped(base, o, 'logDir'), onDisk: true };
}

/** A trained model directory: it must hold manifest.json (checked before any work is done). */
export function modelDir<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<string, D, R>>> {
  const base = z
    .string()
    .min(1, { error: 'must not be empty' })
    .refine((p) => existsSync(join(p, 'manifest.json')) || existsSync(join(p, 'confluence.json')), { error: 'holds no model (no manifest.json): train one with `tickflow train`' });
  return { ...shaped(base, o, 'modelDir'), onDisk: true };
}

/** The feature sets by id and by family (`core` = core-v1, D127); test/unit/cli pins this to processors/graph.ts. */
export const FEATURE_SET_NAMES = ['core', 'core-v1', 'core-v2', 'full', 'full-v1', 'patterns', 'patterns-v1', 'cross', 'cross-v1'] as const;

/** `cross:<reference symbol>` (or cross-v1:…): the cross-asset set against another reference than BTCUSDT. */
export const CROSS_WITH_REFERENCE = /^cross(?:-v1)?:[A-Za-z0-9._/-]+$/;

/** A feature set (kept as a literal list so that parsing does not load the feature code). */
export function featureSetFlag<D extends (typeof FEATURE_SET_NAMES)[number] | undefined = undefined>(o: Opts<D, undefined>): Flag<z.ZodType<Out<string, D, undefined>>> {
  const names: readonly string[] = FEATURE_SET_NAMES;
  const base = z.string().refine((s) => names.includes(s) || CROSS_WITH_REFERENCE.test(s), { error: `must be one of ${FEATURE_SET_NAMES.join(', ')}, or cross:<reference symbol>` });
  return shaped(base, { ...o, arg: o.arg ?? 'core|core-v2|full|patterns|cross[:REF]' }, 'core|core-v2|full|patterns|cross[:REF]');
}

/** Signal intervals (`--interval`); test/unit/cli pins this to processors/signal-interval.ts. */
export const SIGNAL_INTERVAL_NAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;

/** The bar interval that gets features and signals (a literal list, as for feature sets). */
export function intervalFlag(help: string): Flag<z.ZodType<(typeof SIGNAL_INTERVAL_NAMES)[number]>> {
  return oneOf(SIGNAL_INTERVAL_NAMES, { help, default: '5m' });
}

/**
 * Timeframe models of a confluence bundle: `5m=<dir>,1h=<dir>` (at least two, each interval once,
 * each dir a model directory), in the order given; the first is the base timeframe.
 */
export function timeframeModels<D extends string | undefined = undefined, R extends boolean | undefined = undefined>(o: Opts<D, R>): Flag<z.ZodType<Out<{ interval: string; dir: string }[], D, R>>> {
  const pair = z.string().transform((s, ctx) => {
    const at = s.indexOf('=');
    const interval = s.slice(0, at);
    const dir = s.slice(at + 1);
    if (at < 0 || !(SIGNAL_INTERVAL_NAMES as readonly string[]).includes(interval) || dir === '') {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not <interval>=<model dir> with an interval of ${SIGNAL_INTERVAL_NAMES.join(', ')}` });
      return z.NEVER;
    }
    return { interval, dir };
  });
  const base = z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(pair).min(2, { error: 'must list at least two timeframes (5m=<dir>,1h=<dir>)' }))
    .refine((a) => new Set(a.map((x) => x.interval)).size === a.length, { error: 'lists an interval twice' })
    .refine((a) => a.every((x) => existsSync(join(x.dir, 'manifest.json'))), { error: 'names a directory that holds no model (no manifest.json)' });
  return { ...shaped(base, o, '5m=<dir>,1h=<dir>'), onDisk: true };
}

/** Fusion weights: `equal` (1 each: plain log-odds addition), `learned`, or one number per timeframe. */
export function fusionWeights<D extends string | undefined = undefined>(o: Opts<D, undefined>): Flag<z.ZodType<Out<'equal' | 'learned' | number[], D, undefined>>> {
  const base = z.string().transform((s, ctx): 'equal' | 'learned' | number[] => {
    if (s === 'equal' || s === 'learned') return s;
    const xs = s.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) {
      ctx.addIssue({ code: 'custom', message: 'must be equal, learned, or finite numbers a,b,… (one per timeframe)' });
      return z.NEVER;
    }
    return xs;
  });
  return shaped(base as unknown as z.ZodType<'equal' | 'learned' | number[], string>, o, 'equal|learned|a,b');
}
