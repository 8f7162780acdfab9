import { TickflowError } from '../../lib/errors.ts';

/**
 * A problem with the file or the options as a whole (not one bad row): a required column is
 * absent, naive times without a zone, an unknown format. The CLI reports it as a usage error;
 * it is never retriable.
 */
export class IngestInputError extends TickflowError {}
