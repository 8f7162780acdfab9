import { defineCommand } from '../command-spec.ts';
import { existsSync } from 'node:fs';
import { brokers, isEmbeddedLog, list, text } from '../flags.ts';

export const MIRROR = defineCommand({
  name: 'mirror',
  summary: 'Copies every topic and partition between the embedded log and Kafka (either way, or log to log), keeping partitions, keys, timestamps and order. `kafka` names the cluster given by --broker (write ./kafka for a directory called kafka).',
  output: 'per topic and partition, the records copied',
  flags: {
    from: text({ help: 'a log directory, or kafka', arg: 'logDir|kafka', required: true }),
    to: text({ help: 'kafka, or a log directory', arg: 'kafka|logDir', required: true }),
    broker: brokers({ help: 'the Kafka cluster: host:port[,host:port...]' }),
    registry: text({ help: 'Confluent Schema Registry URL', arg: 'url' }),
    'schema-dir': text({ help: 'directory of Avro schemas for Kafka', arg: 'dir' }),
    topics: list({ help: 'only these topics' }),
  },
  check: (v) => {
    if (v.from === v.to) return `--from and --to are the same (${v.from})`;
    // The source is read, never created: a mistyped --from names the path (as --log does).
    if (v.from !== 'kafka' && !existsSync(v.from)) return `--from ${JSON.stringify(v.from)}: no such directory (read commands never create a log)`;
    if (v.from !== 'kafka' && !isEmbeddedLog(v.from)) return `--from ${JSON.stringify(v.from)}: is not an event log (no data.mdb in it)`;
    if ((v.from === 'kafka' || v.to === 'kafka') && v.broker === undefined) return `mirroring ${v.from === 'kafka' ? 'from' : 'to'} kafka needs --broker`;
    return undefined;
  },
});
