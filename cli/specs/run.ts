import { defineCommand } from '../command-spec.ts';
import { brokers, duration, identifier, num, oneOf, text, toggle } from '../flags.ts';
import { DEFAULT_CLICKHOUSE } from './clickhouse.ts';

const broker = brokers({ help: 'the Kafka cluster: host:port[,host:port...]', required: true });
const registry = text({ help: 'Confluent Schema Registry URL (default: the embedded registry)', arg: 'url' });

export const RUN_PROCESSORS = defineCommand({
  name: 'run processors',
  summary: 'One member of the processors\' consumer group on Kafka: runs the graph on its share of the input partitions. SIGINT/SIGTERM leaves the group cleanly.',
  output: 'on stop {"partitions":[…],"inputs":N,"outputs":N,"signals":N,"rebuilds":[…],"commits":N,…}',
  flags: {
    broker,
    registry,
    model: text({ help: 'the model directory (default: the champion of var/models, else var/model)', arg: 'modelDir' }),
    group: text({ help: 'consumer group id', arg: 'id', default: 'tickflow-processors' }),
    'exactly-once': toggle('transactions instead of at-least-once with deterministic ids (real broker only)'),
    'session-timeout': duration({ help: 'group session timeout', default: '10s' }),
    quiet: toggle('no line per signal on stderr'),
    'allow-ungated': toggle('use a model that failed its validation gates'),
    'no-checkpoints': toggle('take over partitions by replaying from offset 0, and write no checkpoints to the `checkpoints` topic'),
  },
});

export const RUN_GATEWAY = defineCommand({
  name: 'run gateway',
  summary: 'Serves the signals and bars topics on Kafka to WebSocket clients, each id once, with the same protocol as `start`, and the dashboard page and API on the same port.',
  output: 'on stop {"signals":{…},"bars":{…},"ws":{…}}',
  flags: {
    broker,
    registry,
    port: num({ help: 'WebSocket port (0 picks a free one)', int: true, min: 0, max: 65535, default: '8080' }),
    host: text({ help: 'interface to listen on (a non-loopback host needs --token)', arg: 'host', default: '127.0.0.1' }),
    token: text({ help: 'secret the page, API and WebSocket require (16 to 256 printable characters)', arg: 'secret' }),
    'max-clients': num({ help: 'WebSocket clients accepted at once (more are refused with 503)', int: true, min: 1, max: 100000, default: '200' }),
    'ws-in-process': toggle('run the WebSocket fan-out on the processing thread instead of its worker thread (for comparison)'),
    'api-rate-limit': num({ help: 'page/API requests a minute from one client address (more get 429 with Retry-After)', int: true, min: 1, max: 1000000, default: '1000' }),
    'api-global-rate-limit': num({ help: 'page/API requests a second from all clients together, /api/health excepted (more get 429 with Retry-After)', int: true, min: 1, max: 1000000, default: '100' }),
    from: oneOf(['end', 'earliest'], { help: 'follow each partition from its end or from offset 0', default: 'end' }),
  },
});

export const RUN_PROJECTOR = defineCommand({
  name: 'run projector',
  summary: 'Keeps ClickHouse level with the derived topics on Kafka; Ctrl-C projects what is left, a second one stops at once.',
  output: 'on stop {"follow":{…},"catchUp":{…}}',
  flags: {
    broker,
    registry,
    clickhouse: text({ help: 'the ClickHouse server', arg: 'url', default: DEFAULT_CLICKHOUSE }),
    database: identifier({ help: 'the database', default: 'default' }),
  },
});
