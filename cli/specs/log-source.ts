import type { z } from 'zod';
import { brokers, existingLog, text, type Flag } from '../flags.ts';

type Optional = Flag<z.ZodType<string | undefined>>;

/**
 * The --log / --broker / --registry flags of a command that reads a log: the embedded log must
 * exist already (a read command never creates one).
 */
export function readLogFlags(): { log: Optional; broker: Optional; registry: Optional } {
  return {
    log: existingLog({ help: 'the embedded event log to read' }),
    ...kafkaFlags('read from Kafka instead'),
  };
}

export function kafkaFlags(what: string): { broker: Optional; registry: Optional } {
  return {
    broker: brokers({ help: `${what}: host:port[,host:port...]` }),
    registry: text({ help: 'Confluent Schema Registry URL (with --broker; default: the embedded registry)', arg: 'url' }),
  };
}

/** --log or --broker, not both, and --registry only with --broker: a message, or undefined when fine. */
export function checkLogSource(values: { log?: string | undefined; broker?: string | undefined; registry?: string | undefined }): string | undefined {
  if (values.broker !== undefined && values.log !== undefined) return 'give either --log or --broker, not both';
  if (values.broker === undefined && values.log === undefined) return 'missing required option --log (or --broker)';
  if (values.broker === undefined && values.registry !== undefined) return '--registry is for Kafka (--broker); the embedded log keeps its own registry';
  return undefined;
}
