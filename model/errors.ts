import { TickflowError } from '../lib/errors.ts';

/** Why a model-layer operation failed. None of these is retriable: they are bad files or misuse. */
export type ModelErrorCode =
  | 'DATASET_INVALID'
  | 'SPLIT_INVALID'
  | 'MANIFEST_INVALID'
  | 'MODEL_ID_MISMATCH'
  | 'UNSUPPORTED_LAYER'
  | 'FEATURE_SET_MISMATCH'
  | 'INPUT_SHAPE'
  | 'SAVED_MODEL_DIFFERS';

/** The model layer's error family (after kafkajs: a code, `retriable` and an optional `cause`). */
export class ModelError extends TickflowError {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, { retriable: false, ...(options?.cause === undefined ? {} : { cause: options.cause }) });
  }
}
