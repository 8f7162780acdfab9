import { defineCommand } from '../command-spec.ts';
import { existingLog, identifier, num, text, time, toggle } from '../flags.ts';
import { kafkaFlags } from './log-source.ts';

/** Literal copy of sinks/clickhouse's default so that parsing loads no ClickHouse code (pinned by a test). */
export const DEFAULT_CLICKHOUSE = 'http://localhost:8123';

const target = {
  clickhouse: text({ help: 'the ClickHouse server', arg: 'url', default: DEFAULT_CLICKHOUSE }),
  database: identifier({ help: 'the database', default: 'default' }),
};

export const DB_MIGRATE = defineCommand({
  name: 'db migrate',
  summary: 'Applies pending ClickHouse migrations.',
  output: '{"applied":[…],…}',
  flags: target,
});

export const DB_REBUILD = defineCommand({
  name: 'db rebuild',
  summary: 'Re-projects a whole log into ClickHouse (rows collapse by id, so this is safe next to a live projector).',
  output: '{"rows":{table:N},"topics":{…}}',
  flags: { ...target, log: existingLog({ help: 'the embedded log to project' }), ...kafkaFlags('project from Kafka instead') },
  check: (v) => {
    if (v.broker !== undefined && v.log !== undefined) return 'give either --log or --broker, not both';
    if (v.broker === undefined && v.log === undefined) return 'missing required option --log (or --broker)';
    return undefined;
  },
});

function queryCommand(kind: 'signals' | 'bars' | 'runs', summary: string, extra: 'model' | 'interval') {
  return defineCommand({
    name: `query ${kind}`,
    summary: `${summary} Time ranges are [from, to). A text table on stdout, or one JSON array with --json.`,
    flags: {
      symbol: text({ help: 'only this symbol', arg: 'symbol' }),
      from: time({ help: 'from this time' }),
      to: time({ help: 'up to this time (exclusive)' }),
      ...(extra === 'model' ? { model: text({ help: 'only this model id', arg: 'id' }) } : { interval: text({ help: 'only this bar interval, like 5m', arg: 'interval' }) }),
      limit: num({ help: 'at most this many rows', int: true, gt: 0 }),
      ...target,
      json: toggle('print one JSON array instead of a table'),
    },
  });
}

export const QUERY = {
  signals: queryCommand('signals', 'Signals stored in ClickHouse.', 'model'),
  bars: queryCommand('bars', 'Bars stored in ClickHouse.', 'interval'),
  runs: queryCommand('runs', 'Backtest runs stored in ClickHouse.', 'model'),
};
