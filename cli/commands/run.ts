import { loadPredictor } from '../../model/predictor.ts';
import { featureSetByHash, graphConfigFor } from '../../processors/graph.ts';
import { GroupProcessor } from '../../streams/group/group-processor.ts';
import { parse, parseDuration, requireString } from '../args.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { info, printJson, UsageError } from '../output.ts';

const USAGE = 'usage: tickflow run processors --broker host:port[,...] [--registry url] [--model var/model] [--group tickflow-processors] [--exactly-once] [--session-timeout 10s] [--quiet]';

/**
 * `tickflow run processors`: one member of the processors' consumer group on Kafka. Start it on
 * as many machines as there are input partitions to share the work; SIGINT/SIGTERM leaves the
 * group cleanly (the others take over at once), a crash hands over after the session timeout.
 */
export async function run(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what !== 'processors') throw new UsageError(`unknown: run ${what ?? ''}\n${USAGE}`);
  const { values } = parse(rest, {
    broker: { type: 'string' },
    registry: { type: 'string' },
    model: { type: 'string', default: 'var/model' },
    group: { type: 'string', default: 'tickflow-processors' },
    'exactly-once': { type: 'boolean', default: false },
    'session-timeout': { type: 'string', default: '10s' },
    quiet: { type: 'boolean', default: false },
  });
  const broker = requireString(values.broker, 'broker');
  const sessionTimeoutMs = parseDuration(values['session-timeout'], 'session-timeout');
  const predictor = await loadPredictor(values.model).catch((e: unknown) => {
    throw new UsageError(`cannot load the model in ${values.model} (${(e as Error).message}): train one (tickflow train) or pass --model`);
  });
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
        const s = e.signal;
        info(`${new Date(s.barEnd).toISOString()} ${s.symbol.padEnd(5)} ${s.action.padEnd(4)} conf ${s.confidence.toFixed(3)}  P(up/flat/down) ${s.pUp.toFixed(3)}/${s.pFlat.toFixed(3)}/${s.pDown.toFixed(3)}`);
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
