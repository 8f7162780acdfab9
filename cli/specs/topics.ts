import { defineCommand } from '../command-spec.ts';
import { brokers, num } from '../flags.ts';

export const TOPICS_CREATE = defineCommand({
  name: 'topics create',
  summary: "Creates the catalogue's topics on a Kafka cluster, idempotently (existing topics with other settings are reported).",
  output: 'the topics created, existing and mismatched',
  flags: {
    broker: brokers({ help: 'the Kafka cluster: host:port[,host:port...]', default: 'localhost:9092' }),
    'replication-factor': num({ help: "replication factor (-1: the broker's default)", int: true, min: -1, default: '-1' }),
  },
});
