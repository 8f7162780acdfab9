import { TickflowError } from '../lib/errors.ts';

/** Why a model-layer operation failed. None of these is retriable: they are bad files or misuse. */
export type ModelErrorCode =
  | 'DATASET_INVALID'
  | 'SPLIT_INVALID'
  | 'MANIFEST_INVALID'
  | 'MODEL_ID_MISMATCH'
  | 'UNSUPPORTED_LAYER'
  | 'INPUT_SHAPE'
  | 'SAVED_MODEL_DIFFERS'
  | 'GATES_INVALID'
  | 'MODEL_UNGATED'
  | 'MODEL_NOT_FOUND'
  | 'TRAINING_FAILED'
  /** A label rule tickflow does not know (`train --label`), or one it cannot fit. */
  | 'LABEL_INVALID'
  /** An ONNX file onnxruntime cannot load, or whose inputs/outputs tickflow cannot serve (model/onnx). */
  | 'ONNX_INVALID'
  /** A feature list (an imported model's inputs) that is not a list of the feature set's features. */
  | 'FEATURE_LIST_INVALID'
  /** A dataset too short for the split or the folds asked of it (the user's data, not a bug: exit 2). */
  | 'DATASET_TOO_SHORT';

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
