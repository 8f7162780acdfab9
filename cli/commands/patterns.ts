import { DEFAULT_SIGNAL_INTERVAL } from '../../processors/signal-interval.ts';
import { PATTERN_STATS_DEFAULTS } from '../../processors/features/patterns/index.ts';
import { patternTable } from '../../research/pattern-table.ts';
import type { ValuesOf } from '../command-spec.ts';
import { logSource, openLogFrom, topicSize } from '../log-access.ts';
import { info, printJson, UsageError } from '../output.ts';
import type { PATTERNS } from '../specs/patterns.ts';

/** `tickflow patterns`: the pattern statistics table of a log. */
export async function run(values: ValuesOf<typeof PATTERNS>): Promise<number> {
  const interval = values.interval;
  const access = await openLogFrom(logSource(values), { readOnly: true });
  try {
    const inputs = (await topicSize(access.log, 'trades')) + (await topicSize(access.log, 'candles'));
    if (inputs === 0) throw new UsageError(`patterns: ${values.log ?? values.broker ?? ''} holds no trades or candles: no bars, no patterns`);
    const r = await patternTable({
      log: access.log,
      decode: access.decode,
      signalInterval: interval ?? DEFAULT_SIGNAL_INTERVAL,
      ...(interval !== undefined ? { intervals: [interval] } : {}),
      ...(values.symbol !== undefined ? { symbol: values.symbol } : {}),
      options: { horizonBars: values.horizon, minCount: values['min-count'] },
    });
    if (values.symbol !== undefined && !r.symbols.includes(values.symbol)) {
      throw new UsageError(`patterns: no bars of symbol ${JSON.stringify(values.symbol)} in the log (symbols: ${r.symbols.join(', ') || 'none'})`);
    }
    info(`patterns: ${r.rows.length} rows, horizon ${values.horizon} bars, min count ${values['min-count']}, ${r.dropped} occurrences without an outcome (gap at the horizon)`);
    printJson({ horizonBars: values.horizon, minCount: values['min-count'], priorStrength: PATTERN_STATS_DEFAULTS.priorStrength, dropped: r.dropped, rows: r.rows });
    return 0;
  } finally {
    await access.close();
  }
}
