import { TickflowError } from '../../lib/errors.ts';

/**
 * Errors of the embedded log. `retriable` says whether trying the same call again may succeed
 * (a busy or closed resource) or not (bad arguments, a corrupt file: programmer or data errors).
 */
export class LogError extends TickflowError {}
