import { featureSetByHash, graphConfigFor } from '../../processors/graph.ts';
import { ClickHouseProjector, migrate, openClickHouse } from '../../sinks/clickhouse/index.ts';
import { GroupProcessor } from '../../hosts/group/group-processor.ts';
import { UnitCheckpoints } from '../../hosts/group/unit-checkpoints.ts';
import { graphCodeVersion } from '../../hosts/code-version.ts';
import { graphIdentity } from '../../processors/checkpoint/index.ts';
import { LogCheckpointStore } from '../../storage/checkpoints/log-checkpoint-store.ts';
import { TopicGateway } from '../../sinks/ws/topic-gateway.ts';
import type { ValuesOf } from '../command-spec.ts';
import { loadModel } from '../load-model.ts';
import { requireGatedModel, resolveModelDir } from '../model-gates.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { cliLogger, horizonOf, info, printJson, SignalLines } from '../output.ts';
import { checkExposure, startDashboardServer, wsFlags } from '../dashboard-server.ts';
import type { RUN_GATEWAY, RUN_PROCESSORS, RUN_PROJECTOR } from '../specs/run.ts';

type Options = ValuesOf<typeof RUN_PROCESSORS> | ValuesOf<typeof RUN_GATEWAY> | ValuesOf<typeof RUN_PROJECTOR>;

/** The scale-out roles on Kafka: processing (a consumer group), and the two readers of its outputs. */
export async function run(values: Options, role: string): Promise<number> {
  if (role === 'processors') return processors(values as ValuesOf<typeof RUN_PROCESSORS>);
  if (role === 'gateway') return gateway(values as ValuesOf<typeof RUN_GATEWAY>);
  return projector(values as ValuesOf<typeof RUN_PROJECTOR>);
}

/**
 * `tickflow run processors`: one member of the processors' consumer group on Kafka. Start it on
 * as many machines as there are input partitions to share the work; SIGINT/SIGTERM leaves the
 * group cleanly (the others take over at once), a crash hands over after the session timeout.
 */
async function processors(values: ValuesOf<typeof RUN_PROCESSORS>): Promise<number> {
  const { broker } = values;
  const sessionTimeoutMs = values['session-timeout'];
  const modelDir = await resolveModelDir(values.model);
  const predictor = await loadModel(modelDir);
  await requireGatedModel(modelDir, values['allow-ungated']);
  // A cross-symbol set (cross-v1): every unit also reads the reference's partition (D61, hosts/group).
  const fsOfModel = featureSetByHash(predictor.featureSetHash);
  const lines = new SignalLines(horizonOf(predictor));
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
    const config = graphConfigFor(fsOfModel);
    // Partition state checkpointed on the compacted `checkpoints` topic: a takeover replays only the tail.
    const checkpoints = values['no-checkpoints']
      ? null
      : new UnitCheckpoints({ store: new LogCheckpointStore({ log: access.log, encode: access.encode, decode: access.decode }), identity: graphIdentity(config, predictor, graphCodeVersion()), logger: cliLogger().child({ component: 'checkpoints' }) });
    const processor = new GroupProcessor({
      brokers: broker.split(',').map((b) => b.trim()).filter(Boolean),
      groupId: values.group,
      log: access.log,
      encode: access.encode,
      decode: access.decode,
      predictor,
      config,
      ...(checkpoints ? { checkpoints } : {}),
      exactlyOnce: values['exactly-once'],
      sessionTimeoutMs,
      heartbeatIntervalMs: Math.max(100, Math.floor(sessionTimeoutMs / 10)),
      signal: controller.signal,
      logger: cliLogger(),
      onOutput: (e) => {
        if (values.quiet) return;
        if (e.kind === 'bar') lines.bar(e.bar);
        else if (e.kind === 'signal') cliLogger().info({ event: 'signal', symbol: e.signal.symbol, action: e.signal.action, barEnd: e.signal.barEnd }, lines.format(e.signal, Date.now()));
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
async function gateway(values: ValuesOf<typeof RUN_GATEWAY>): Promise<number> {
  const { broker, from } = values;
  const token = checkExposure(values.host, values.token);
  const access = await openLogFrom(logSource({ broker, registry: values.registry }));
  const server = await startDashboardServer({ access, source: logSource({ broker, registry: values.registry }), port: values.port, host: values.host, token, modelDir: null, role: 'gateway', ...wsFlags(values) }).catch(async (e: unknown) => {
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
        logger: cliLogger(),
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
async function projector(values: ValuesOf<typeof RUN_PROJECTOR>): Promise<number> {
  const { broker, clickhouse, database } = values;
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
      const p = new ClickHouseProjector({ log: access.log, serde: access.serde, client, database, logger: cliLogger() });
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
