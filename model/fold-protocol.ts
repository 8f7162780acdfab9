import type { TrainingData } from './evaluation/cross-validate.ts';
import type { FoldJob } from './stack.ts';
import type { StackFitOptions } from './stack-fit.ts';

/** The bases' options as they cross to the worker (no logger: it is not cloneable). */
export type HelperFitOptions = Omit<StackFitOptions, 'logger'>;

export type ToFoldWorker = { t: 'run'; data: TrainingData; jobs: readonly FoldJob[]; counter: Int32Array; options: HelperFitOptions };

export type FromFoldWorker =
  | { t: 'ready' }
  | { t: 'result'; job: number; probs: Float64Array }
  | { t: 'done' }
  | { t: 'failed'; message: string };
