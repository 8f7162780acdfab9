import { TickflowError, type TickflowErrorOptions } from '../../lib/errors.ts';

/**
 * Errors of the serde layer. `reason` is a short machine-readable code (used as the dead-letter
 * reason); `retriable` is true only where a retry can succeed: an unknown schema id becomes known
 * after `serde.loadSchema(id)`.
 */
export class SerdeError extends TickflowError {
  constructor(
    readonly reason: string,
    message: string,
    options: TickflowErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** Bytes that are not a valid Confluent-framed Avro value for a known schema. */
export class DecodeError extends SerdeError {}

/** A value that does not fit its topic's schema, or a topic without a registered schema. */
export class EncodeError extends SerdeError {}
