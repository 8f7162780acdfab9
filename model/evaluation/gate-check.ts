import { ModelError } from '../errors.ts';
import type { ModelManifest } from '../manifest.ts';
import { describeFailures } from './gates.ts';

export type GateStatus = 'passed' | 'failed' | 'ungated';

/** What a manifest says about its gates: a model trained before gates existed is 'ungated'. */
export function gateStatus(manifest: Pick<ModelManifest, 'evaluation'>): GateStatus {
  if (manifest.evaluation === undefined) return 'ungated';
  return manifest.evaluation.gates.passed ? 'passed' : 'failed';
}

/**
 * The rule every command that puts a model to use applies: a model that failed its gates is refused
 * (ModelError MODEL_UNGATED naming the gates) unless allowUngated; a model with no verdict is
 * accepted with a warning (returned, for the caller to print); null when there is nothing to say.
 */
export function checkGates(manifest: Pick<ModelManifest, 'evaluation' | 'modelId'>, dir: string, allowUngated: boolean): string | null {
  const status = gateStatus(manifest);
  if (status === 'ungated') return `warning: model ${manifest.modelId} in ${dir} has no gate verdict (trained before validation gates); using it unchecked`;
  if (status === 'passed') return null;
  const failures = describeFailures((manifest.evaluation as NonNullable<ModelManifest['evaluation']>).gates);
  if (allowUngated) return `warning: model ${manifest.modelId} in ${dir} failed its validation gates (${failures}); used anyway because of --allow-ungated`;
  throw new ModelError('MODEL_UNGATED', `model ${manifest.modelId} in ${dir} failed its validation gates: ${failures}; retrain, or pass --allow-ungated to use it anyway (start and verify also take --hold-only: HOLD signals only)`);
}
