/**
 * Structured logs (pino): one JSON object per line, or pino-pretty's lines for a person at a
 * terminal. The CLI creates one logger at its edge (cli/output.ts) and passes it down as an
 * option (`logger?: Logger`); a layer that gets none stays silent (silentLogger). Every string
 * that goes out is redacted (lib/redact.ts): a URL's password never reaches a log.
 * processors/ never logs (it is pure; eslint keeps this file out of it).
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import { redactCredentials } from './redact.ts';

export type Logger = PinoLogger;

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** pretty on a terminal, JSON lines otherwise (a pipe, a file, a test reading stderr). */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stderr): LogFormat {
  return stream.isTTY === true ? 'pretty' : 'json';
}

export interface LoggerOptions {
  /** Default: defaultLogFormat() of stderr. */
  format?: LogFormat;
  /** Default 'info'. */
  level?: pino.LevelWithSilent;
  /** Where lines go; default stderr (fd 2), written synchronously so nothing is lost at exit. */
  stream?: DestinationStream;
}

function redactFields(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'string') continue;
    const r = redactCredentials(v);
    if (r !== v) (out ??= { ...obj })[k] = r;
  }
  return out ?? obj;
}

/**
 * A logger writing JSON lines (`{"level":30,"time":...,"pid":...,"msg":...}` plus the record's
 * fields, `component` and `event` among them) or, `pretty`, `HH:MM:ss LEVEL: component: msg`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? defaultLogFormat();
  const stream =
    options.stream ??
    (format === 'pretty'
      ? pretty({
          destination: 2,
          sync: true,
          colorize: process.stderr.isTTY === true,
          translateTime: 'SYS:HH:MM:ss',
          ignore: 'pid,hostname,component',
          messageFormat: '{if component}{component}: {end}{msg}',
          hideObject: true,
        })
      : pino.destination({ dest: 2, sync: true }));
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a: unknown) => (typeof a === 'string' ? redactCredentials(a) : a)) as Parameters<typeof method>);
        },
      },
      formatters: { log: redactFields },
    },
    stream,
  );
}

/** A logger that drops everything: the default of every option that takes one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
