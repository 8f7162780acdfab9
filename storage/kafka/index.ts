export { KafkaEventLog, type KafkaEventLogOptions } from './kafka-event-log.ts';
export { KafkaLogError } from './kafka-log-error.ts';
export { defaultSchemaDir, openKafkaSchemas, registerCatalogue, type KafkaSchemas } from './kafka-schemas.ts';
export { openKafkaLog, type KafkaLog, type OpenKafkaLogOptions } from './open-kafka-log.ts';
export { DEFAULT_BACKOFF, withBackoff, type BackoffOptions } from './with-backoff.ts';
