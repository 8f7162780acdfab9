import { loadPredictor } from '../../model/predictor.ts';
import { requireGatedModel, resolveModelDir } from '../model-gates.ts';
import { featureSetByHash, graphConfigFor } from '../../processors/graph.ts';
import { ClickHouseProjector, DEFAULT_CLICKHOUSE_URL, migrate, openClickHouse } from '../../sinks/clickhouse/index.ts';
import { GroupProcessor } from '../../hosts/group/group-processor.ts';
import { TopicGateway } from '../../sinks/ws/topic-gateway.ts';
import { databaseName, parse, parseDuration, requireString, toNumber } from '../args.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { formatSignal, info, printJson, UsageError } from '../output.ts';
import { checkExposure, startDashboardServer } from '../dashboard-server.ts';

const USAGE = `usage: tickflow run processors --broker host:port[,...] [--registry url] [--model <dir> (default: the champion of var/models, else var/model)] [--group tickflow-processors] [--exactly-once] [--session-timeout 10s] [--quiet] [--allow-ungated]
       tickflow run gateway --broker host:port[,...] [--registry url] [--port 8080] [--host 127.0.0.1] [--token secret] [--from end|earliest]
       tickflow run projector --broker host:port[,...] [--registry url] [--clickhouse ${DEFAULT_CLICKHOUSE_URL}] [--database default]`;

/** The scale-out roles on Kafka: processing (a consumer group), and the two readers of its outputs. */
const ROLES = new Map<string, (argv: string[]) => Promise<number>>([['processors', processors], ['gateway', gateway], ['projector', projector]]);

export async function run(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  const role = what === undefined ? undefined : ROLES.get(what);
  if (role === undefined) throw new UsageError(`unknown: run ${what ?? ''}\n${USAGE}`);
  return role(rest);
}

/**
 * `tickflow run processors`: one member of the processors' consumer group on Kafka. Start it on
 * as many machines as there are input partitions to share the work; SIGINT/SIGTERM leaves the
 * group cleanly (the others take over at once), a crash hands over after the session timeout.
 */
async function processors(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    broker: { type: 'string' },
    registry: { type: 'string' },
    model: { type: 'string' },
    group: { type: 'string', default: 'tickflow-processors' },
    'exactly-once': { type: 'boolean', default: false },
    'session-timeout': { type: 'string', default: '10s' },
    quiet: { type: 'boolean', default: false },
    'allow-ungated': { type: 'boolean', default: false },
  });
  const broker = requireString(values.broker, 'broker');
  const sessionTimeoutMs = parseDuration(values['session-timeout'], 'session-timeout');
  const modelDir = await resolveModelDir(values.model);
  const predictor = await loadPredictor(modelDir).catch((e: unknown) => {
    throw new UsageError(`cannot load the model in ${modelDir} (${(e as Error).message}): train one (tickflow train) or pass --model`);
  });
  await requireGatedModel(modelDir, values['allow-ungated']);
  const access = await openLogFrom(logSource({ broker, registry: values.registry }));
  const controller = new AbortController();
  const onSignal = (): void => {
    info('stopping: finishing the current round, committing, leaving the group...');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    info(`processors: group ${values.group} on ${broker}, model ${predictor.modelId}${values['exactly-once'] ? ', exactly-once (transactions)' : ', at-least-once with deterministic ids'}`);
    const processor = new GroupProcessor({
      brokers: broker.split(',').map((b) => b.trim()).filter(Boolean),
      groupId: values.group,
      log: access.log,
      encode: access.encode,
      decode: access.decode,
      predictor,
      config: graphConfigFor(featureSetByHash(predictor.featureSetHash)),
      exactlyOnce: values['exactly-once'],
      sessionTimeoutMs,
      heartbeatIntervalMs: Math.max(100, Math.floor(sessionTimeoutMs / 10)),
      signal: controller.signal,
      say: info,
      onOutput: (e) => {
        if (e.kind !== 'signal' || values.quiet) return;
        info(formatSignal(e.signal));
      },
    });
    printJson(await processor.run());
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await access.close();
  }
}

/**
 * `tickflow run gateway`: WebSocket clients get the signals and bars the processors write to
 * Kafka, each id once (sinks/ws/topic-gateway.ts), with the same protocol as `start`.
 */
async function gateway(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    broker: { type: 'string' },
    registry: { type: 'string' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string' },
    from: { type: 'string', default: 'end' },
  });
  const broker = requireString(values.broker, 'broker');
  const from = values.from;
  if (from !== 'end' && from !== 'earliest') throw new UsageError(`--from must be end or earliest, got ${JSON.stringify(from)}`);
  const token = checkExposure(values.host, values.token);
  const access = await openLogFrom(logSource({ broker, registry: values.registry }));
  const server = await startDashboardServer({ access, port: toNumber(values.port, 'port', 8080), host: values.host, token, modelDir: null, role: 'gateway' }).catch(async (e: unknown) => {
    await access.close();
    throw e;
  });
  const controller = new AbortController();
  const onSignal = (): void => {
    info('stopping: closing the WebSocket clients...');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    try {
      const topicGateway = new TopicGateway({
        log: access.log,
        decode: access.decode,
        publish: (channel, symbol, payload) => server.publish(channel, symbol, payload),
        from,
        say: info,
        onFollowing: (starts) => info(`gateway: following signals (${starts.signals.length} partitions) and bars (${starts.bars.length}) on ${broker} from ${from === 'end' ? 'their ends' : 'offset 0'}; Ctrl-C stops`),
      });
      const report = await topicGateway.run(controller.signal);
      printJson({ ...report, ws: server.stats() });
      return 0;
    } finally {
      await server.close();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await access.close();
  }
}

/**
 * `tickflow run projector`: keeps ClickHouse level with the derived topics on Kafka, as
 * `start --clickhouse` does in one process. Rows collapse by id, so the copies at-least-once
 * processing leaves on the topics cost only writes.
 */
async function projector(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    broker: { type: 'string' },
    registry: { type: 'string' },
    clickhouse: { type: 'string', default: DEFAULT_CLICKHOUSE_URL },
    database: { type: 'string', default: 'default' },
  });
  const broker = requireString(values.broker, 'broker');
  const { clickhouse } = values;
  const database = databaseName(values.database);
  const following = new AbortController();
  const finishing = new AbortController();
  const onSignal = (): void => {
    if (following.signal.aborted) {
      info('stopping now: the final catch-up is abandoned (committed offsets are kept)');
      finishing.abort();
      return;
    }
    info('stopping: projecting what is left (signal again to stop at once)...');
    following.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const client = openClickHouse(clickhouse);
  try {
    const migrated = await migrate(client, database);
    if (migrated.applied.length > 0) info(`clickhouse: applied migrations ${migrated.applied.join(', ')}`);
    const access = await openLogFrom(logSource({ broker, registry: values.registry }));
    try {
      const p = new ClickHouseProjector({ log: access.log, serde: access.serde, client, database, onLog: info });
      info(`projector: following the derived topics on ${broker} into ${clickhouse} (${database}); Ctrl-C stops`);
      const follow = await p.follow(following.signal);
      // Following stops with rows still buffered: they are read again from the committed offsets.
      const catchUp = await p.catchUp({ signal: finishing.signal });
      printJson({ follow, catchUp });
      return catchUp.completed ? 0 : 130;
    } finally {
      await access.close();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client.close();
  }
}
