import { join } from 'node:path';
import { isConfluenceBundle, readBundle } from '../model/confluence/bundle.ts';
import { ModelError } from '../model/errors.ts';
import { checkGates } from '../model/evaluation/gate-check.ts';
import { readManifest } from '../model/manifest.ts';
import { manifestFamily } from '../model/onnx/onnx-manifest.ts';
import { DEFAULT_MODELS_DIR, ModelRegistry } from '../model/registry/model-registry.ts';
import { info, UsageError } from './output.ts';

/**
 * Applies the validation gates before a command puts the model in `dir` to use: a failed model is a
 * usage error (exit 2, naming the failed gates) unless allowUngated; a model without a verdict is
 * used with a warning.
 */
export async function requireGatedModel(dir: string, allowUngated: boolean): Promise<void> {
  if (isConfluenceBundle(dir)) {
    // A bundle is gated when every timeframe's model is.
    for (const m of (await readBundle(dir)).members) await requireGatedModel(join(dir, m.dir), allowUngated);
    return;
  }
  if ((await manifestFamily(dir)) === 'onnx') {
    info(`warning: model in ${dir} was imported from ONNX (trained elsewhere): it has no validation gates; it is used as is`);
    return;
  }
  const manifest = await readManifest(dir);
  try {
    const warning = checkGates(manifest, dir, allowUngated);
    if (warning !== null) info(warning);
  } catch (e) {
    if (e instanceof ModelError && e.code === 'MODEL_UNGATED') throw new UsageError(e.message);
    throw e;
  }
}

/**
 * The model a command uses: --model when given, else the registry's champion (var/models), else
 * `fallback` (var/model, where `start` trains its first model).
 */
export async function resolveModelDir(model: string | undefined, fallback = 'var/model', modelsDir = DEFAULT_MODELS_DIR): Promise<string> {
  if (model !== undefined) return model;
  const champion = await new ModelRegistry(modelsDir).championDir();
  if (champion === null) return fallback;
  info(`model: the champion of ${modelsDir}, ${champion}`);
  return champion;
}

/**
 * Whether a replay of a live run with this model must use the HOLD-only rule: `start` runs a model
 * that failed its gates only HOLD-only (a fresh one that fails, or --hold-only), unless
 * --allow-ungated traded it. So verify replays a failed model HOLD-only unless told it was traded.
 */
export async function replayHoldOnly(dir: string, flags: { holdOnly: boolean; allowUngated: boolean }): Promise<boolean> {
  if (flags.holdOnly) return true;
  if (flags.allowUngated) return false;
  if (isConfluenceBundle(dir)) {
    // start ran a bundle HOLD-only when any member failed its gates (requireGatedModel).
    for (const m of (await readBundle(dir)).members) if (await replayHoldOnly(join(dir, m.dir), flags)) return true;
    return false;
  }
  if ((await manifestFamily(dir)) === 'onnx') return false; // no gates: start ran it as is
  const gates = (await readManifest(dir)).evaluation?.gates;
  if (gates !== undefined && !gates.passed) {
    info(`verify: model in ${dir} failed its validation gates, so start ran it HOLD-only: replaying the same way (pass --allow-ungated if the live run traded it)`);
    return true;
  }
  return false;
}
