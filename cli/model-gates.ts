import { ModelError } from '../model/errors.ts';
import { checkGates } from '../model/evaluation/gate-check.ts';
import { readManifest } from '../model/manifest.ts';
import { info, UsageError } from './output.ts';

/**
 * Applies the validation gates before a command puts the model in `dir` to use: a failed model is a
 * usage error (exit 2, naming the failed gates) unless allowUngated; a model without a verdict is
 * used with a warning.
 */
export async function requireGatedModel(dir: string, allowUngated: boolean): Promise<void> {
  const manifest = await readManifest(dir);
  try {
    const warning = checkGates(manifest, dir, allowUngated);
    if (warning !== null) info(warning);
  } catch (e) {
    if (e instanceof ModelError && e.code === 'MODEL_UNGATED') throw new UsageError(e.message);
    throw e;
  }
}
