import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DecisionPolicy } from '../processors/decision/policy.ts';
import { CLASSES, type Predictor, type WindowScorer } from '../processors/types.ts';
import { gradientTimesInput, saabas, type Explainer } from './attribution.ts';
import { applyCalibration } from './calibration.ts';
import { DenseStack } from './dense-stack.ts';
import { ModelError } from './errors.ts';
import { PARAMS_JSON, type RowModel } from './family.ts';
import { WEIGHTS_BIN } from './model-files.ts';
import { GbdtModel, type GbdtParams } from './gbdt-model.ts';
import { HeadsModel, type ReturnHeads } from './heads.ts';
import { logisticModel, type LogisticParams } from './logistic.ts';
import { computeModelId, readManifest, type ModelManifest } from './manifest.ts';
import { RowScorer } from './row-scorer.ts';
import { SequenceModel, type SequenceParams } from './sequence.ts';
import { StackModel, type StackParams } from './stack.ts';
import { healthReferenceOf } from './evaluation/health-reference.ts';
import type { HealthReference } from '../processors/health/model-health.ts';
import { concatBytes, SeedAverage, seedDir } from './seed-average.ts';

/**
 * DECISION (taken by the lead, D4): predict(row) does not call tfjs. Every family scores a row in
 * float64 JavaScript from its saved parameters: the MLP is loaded through tfjs
 * (tf.loadLayersModel) and its Dense stack evaluated in float64 after standardizing with the
 * manifest's mean/std; the logistic regression is one softmax Dense layer on the same path; the
 * GBDT walks its trees. The manifest's calibrator, if any, maps the probabilities last. So
 * predictions are bit-identical on every backend, in live and in replay, and take microseconds.
 */
export class ModelPredictor implements Predictor {
  readonly modelId: string;
  readonly featureSetHash: string;
  readonly featureNames: readonly string[];
  readonly policy: DecisionPolicy | undefined;
  /** Sequence family: predict() takes the symbol's last `window` feature rows, oldest first, concatenated (the infer operator keeps them); 1 otherwise. */
  readonly window: number;
  private readonly out = new Float64Array(CLASSES.length);
  private readonly headsModel: HeadsModel | null;
  private readonly explainer: Explainer | null;
  /** The model-health monitor's reference (processors/health), from the manifest; replaceable (other windows). */
  health: HealthReference | undefined;

  /**
   * Heads come from the manifest's `heads`; contributions are given only when the manifest says
   * how (`contributions`), so a model trained before them gives the signals it gave then.
   */
  constructor(
    readonly manifest: ModelManifest,
    readonly model: RowModel,
    explainer: Explainer | null = null,
  ) {
    this.modelId = manifest.modelId;
    this.featureSetHash = manifest.featureSetHash;
    this.featureNames = Object.freeze([...manifest.featureNames]);
    this.headsModel = manifest.heads === undefined ? null : new HeadsModel(manifest.heads.params, manifest.standardization);
    this.explainer = manifest.contributions === undefined ? null : explainer;
    this.health = healthReferenceOf(manifest);
    this.policy = manifest.policy;
    this.window = model.window ?? 1;
  }

  /** Expected forward log return and quantiles 10/50/90, or null for a model without heads. */
  heads(row: Float64Array): ReturnHeads | null {
    return this.headsModel === null ? null : this.headsModel.predict(row);
  }

  /** Per-feature contributions to class `cls` (centered logit, before calibration); a scratch buffer. */
  contributions(row: Float64Array, cls: number): Float64Array | null {
    return this.explainer === null ? null : this.explainer(row, cls);
  }

  /** Raw (unstandardized) features in featureNames order (`window` rows of them, oldest first, for a sequence model); NaN in gives NaN out. */
  predict(row: Float64Array): [number, number, number] {
    return this.calibrated(this.model.score(row));
  }

  /** Sequence family: one symbol's window scored incrementally (D76), calibrated as predict(); null for other families. */
  openWindow(): WindowScorer | null {
    const stream = this.model.stream?.();
    if (stream === undefined) return null;
    return { push: (row) => stream.push(row), predict: () => this.calibrated(stream.score()) };
  }

  private calibrated(probs: Float64Array): [number, number, number] {
    const p = this.out;
    p.set(probs);
    const c = this.manifest.calibration;
    if (c !== undefined && c.method !== 'none') applyCalibration(c, p);
    return [p[0] as number, p[1] as number, p[2] as number];
  }
}

/** Kept for callers written when the MLP was the only family. */
export const MlpPredictor = ModelPredictor;
export type MlpPredictor = ModelPredictor;

/**
 * Loads a model directory: manifest.json, and the family's parameter file (model.json +
 * weights.bin for the MLP, params.json otherwise), and checks that they belong together: the
 * modelId recomputed from the manifest and the parameter bytes, the architecture, the feature
 * count. A manifest without `family` is an MLP.
 */
export async function loadPredictor(modelDir: string): Promise<ModelPredictor> {
  const manifest = await readManifest(modelDir);
  const family = manifest.family ?? 'mlp';
  const file = family === 'mlp' ? WEIGHTS_BIN : PARAMS_JSON;
  // A seed-averaged model (train --seeds) keeps each member in seed-<i>/; its id hashes their bytes in order.
  const dirs = manifest.seedAverage === undefined ? [modelDir] : manifest.seedAverage.seeds.map((_, i) => join(modelDir, seedDir(i)));
  const parts: Uint8Array[] = [];
  for (const dir of dirs) {
    try {
      parts.push(new Uint8Array(await readFile(join(dir, file))));
    } catch (err) {
      throw new ModelError('MANIFEST_INVALID', `${modelDir}: manifest is a ${family} model but ${join(dir, file)} cannot be read: ${(err as Error).message}`, { cause: err });
    }
  }
  const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts);
  const id = computeModelId(manifest, bytes);
  if (id !== manifest.modelId) {
    throw new ModelError(
      'MODEL_ID_MISMATCH',
      `${modelDir}: manifest says model ${manifest.modelId} but its fields and ${file} hash to ${id} (edited or mixed-up files)`,
    );
  }
  const members: { model: RowModel; explainer: Explainer | null }[] = [];
  for (const [i, dir] of dirs.entries()) members.push(await loadFamilyModel(dir, manifest, family, parts[i] as Uint8Array));
  // A seed average's contributions would not be those of any member: it carries none.
  const model: RowModel = members.length === 1 ? (members[0]!.model) : new SeedAverage(members.map((m) => m.model));
  const explainer = members.length === 1 ? members[0]!.explainer : null;
  if (model.inputDim !== manifest.featureNames.length * (model.window ?? 1)) {
    throw new ModelError('MANIFEST_INVALID', `${modelDir}: model takes ${model.inputDim} values (${model.window ?? 1} steps), manifest has ${manifest.featureNames.length} features`);
  }
  return new ModelPredictor(manifest, model, explainer);
}

/** One family's parameters (in dir, already read as bytes) as a RowModel, with its explainer. */
async function loadFamilyModel(dir: string, manifest: ModelManifest, family: string, bytes: Uint8Array): Promise<{ model: RowModel; explainer: Explainer | null }> {
  if (family === 'mlp') return loadMlp(dir, manifest);
  let params: unknown;
  try {
    params = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new ModelError('MANIFEST_INVALID', `${dir}/${PARAMS_JSON} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (family === 'logistic') {
    const m = logisticModel(params as LogisticParams, manifest.standardization);
    return { model: m, explainer: gradientTimesInput(m.scorer.stack, manifest.standardization) };
  }
  // No per-signal attribution for the stack yet: its signals carry no contributions.
  if (family === 'stack') return { model: new StackModel(params as StackParams), explainer: null };
  // The sequence model scores windows: no per-feature attribution of one row (D57).
  if (family === 'sequence') return { model: new SequenceModel(params as SequenceParams), explainer: null };
  return { model: new GbdtModel(params as GbdtParams), explainer: saabas(params as GbdtParams) };
}

async function loadMlp(modelDir: string, manifest: ModelManifest): Promise<{ model: RowModel; explainer: Explainer }> {
  // tfjs is loaded here, not at the top: the other families (and `tickflow start` serving one of
  // them) never pay for importing it (docs/benchmarks.md, first run and restart).
  const [tf, { useBackend }, { fileIoHandler }] = await Promise.all([import('@tensorflow/tfjs'), import('./backend.ts'), import('./file-io-handler.ts')]);
  // Weights are float32 bytes, decoded identically by every backend; start one only if none is.
  if (!tf.engine().backendName) await useBackend('cpu');
  const model = await tf.loadLayersModel(fileIoHandler(modelDir));
  let stack: DenseStack;
  try {
    stack = DenseStack.fromLayersModel(model);
  } finally {
    model.dispose();
  }
  const arch = JSON.stringify(stack.architecture());
  if (arch !== JSON.stringify(manifest.architecture?.layers)) {
    throw new ModelError('MANIFEST_INVALID', `${modelDir}: model.json layers ${arch} differ from the manifest's architecture`);
  }
  if (stack.outputDim !== CLASSES.length || stack.inputDim !== manifest.featureNames.length) {
    throw new ModelError(
      'MANIFEST_INVALID',
      `${modelDir}: model maps ${stack.inputDim} -> ${stack.outputDim}, manifest has ${manifest.featureNames.length} features and ${CLASSES.length} classes`,
    );
  }
  const scorer = new RowScorer(stack, manifest.standardization);
  return { model: { inputDim: stack.inputDim, score: (row) => scorer.score(row) }, explainer: gradientTimesInput(stack, manifest.standardization) };
}

/** A model refuses features it was not trained on: the kernel's one check (processors/check-feature-set.ts). */
export { checkFeatureSet, FeatureSetMismatch } from '../processors/check-feature-set.ts';
